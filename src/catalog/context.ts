/** What every store is built from: the Kysely handle, the clock and the dialect it talks to. */
import type { Kysely } from 'kysely';
import type { Clock } from '../common/clock.js';
import type { Database } from './schema.js';
import type { Dialect } from './types.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly dialect: Dialect;
}
