/** The registry hands out each driver by name and rejects unknown names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { DRIVER_NAMES, driverFor } from '../../src/source/registry.js';

describe('source registry', () => {
  it('finds every driver by its name', () => {
    assert.deepEqual([...DRIVER_NAMES].sort(), ['mariadb', 'postgres', 'redis', 'sqlite', 'volume']);
    for (const name of DRIVER_NAMES) assert.equal(driverFor(name).name, name);
  });
  it('rejects an unknown name with INVALID_ARGUMENT', () => {
    assert.throws(() => driverFor('mongodb'), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && e.message.includes('mongodb'));
  });
});
