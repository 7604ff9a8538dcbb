/** Idempotency keys are forgotten once older than the 24-hour window, and not before. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoRandom } from '../../src/common/clock.js';
import { openCatalog } from '../../src/catalog/index.js';
import type { AppContext } from '../../src/app/context.js';
import { IDEMPOTENCY_WINDOW_MS, purgeExpiredKeys } from '../../src/app/idempotency.js';
import { repoEnvironment } from '../../src/main/environment.js';
import { testClock } from '../catalog/targets.js';

describe('purgeExpiredKeys', () => {
  const clock = testClock();
  let app: AppContext;
  before(async () => {
    app = {
      catalog: await openCatalog('sqlite::memory:', clock), clock, random: cryptoRandom, repoEnv: repoEnvironment(),
      dataDir: '/nonexistent', masterKey: cryptoRandom.bytes(32), toolEnv: {}, jobsWaiting: () => undefined,
    };
  });
  after(() => app.catalog.close());

  it('removes keys past the window and keeps younger ones', async () => {
    const put = (key: string) => app.catalog.idempotency.put('t1', 'POST /v1/backups', key, { requestHash: 'h', status: 202, body: '{}' });
    await put('old');
    clock.advance(IDEMPOTENCY_WINDOW_MS - 60_000);
    await put('young');
    assert.equal(await purgeExpiredKeys(app), 0, 'nothing is past the window yet');
    clock.advance(120_000);
    assert.equal(await purgeExpiredKeys(app), 1);
    assert.equal(await app.catalog.idempotency.get('t1', 'POST /v1/backups', 'old'), undefined);
    assert.ok(await app.catalog.idempotency.get('t1', 'POST /v1/backups', 'young'));
  });
});
