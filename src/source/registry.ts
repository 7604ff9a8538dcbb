/**
 * The source drivers by name, as resource configs spell them.
 */
import { fail } from '../common/errors.js';
import type { SourceDriver } from './driver.js';
import { mariadbDriver } from './mariadb.js';
import { postgresDriver } from './postgres.js';
import { redisDriver } from './redis.js';
import { sqliteDriver } from './sqlite.js';
import { volumeDriver } from './volume.js';

const DRIVERS: ReadonlyMap<string, SourceDriver> = new Map(
  [volumeDriver, postgresDriver, mariadbDriver, redisDriver, sqliteDriver].map((d) => [d.name, d]),
);

/** The names of all drivers, for help texts and validation messages. */
export const DRIVER_NAMES: readonly string[] = Object.freeze([...DRIVERS.keys()]);

export function driverFor(name: string): SourceDriver {
  const driver = DRIVERS.get(name);
  if (driver === undefined) throw fail('INVALID_ARGUMENT', `unknown source driver "${name}" (known: ${DRIVER_NAMES.join(', ')})`);
  return driver;
}
