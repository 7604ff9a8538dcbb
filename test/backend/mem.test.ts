/** The memory backend runs the shared backend suite. */
import { memBackend } from '../../src/backend/mem.js';
import { backendConformance } from './conformance.js';

backendConformance('mem', async () => ({ backend: memBackend(), cleanup: async () => {} }));
