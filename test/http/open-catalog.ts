/** Test helper: opens a server data directory's catalog beside the running server. */
import { join } from 'node:path';
import { systemClock } from '../../src/common/clock.js';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';

export async function openFor(dataDir: string): Promise<{ catalog: Catalog }> {
  return { catalog: await openCatalog(`sqlite:${join(dataDir, 'catalog.db')}`, systemClock) };
}
