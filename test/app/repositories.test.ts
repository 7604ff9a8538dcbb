/**
 * A tenant's repository is made once, whatever happens: concurrent first
 * jobs share it, a crash after the catalog row or inside the repository's
 * creation is repaired by the next call, and stock restic opens the result
 * with the password the catalog holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, systemClock } from '../../src/common/clock.js';
import { openCatalog } from '../../src/catalog/index.js';
import type { AppContext } from '../../src/app/context.js';
import { openTenantRepository, tenantRepositoryAccess } from '../../src/app/repositories.js';
import { repoEnvironment } from '../../src/main/environment.js';

const RESTIC = '/usr/bin/restic';

describe('tenant repositories', () => {
  let dir: string;
  let app: AppContext;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-repos-'));
    app = {
      catalog: await openCatalog('sqlite::memory:', systemClock), clock: systemClock, random: cryptoRandom, repoEnv: repoEnvironment(),
      dataDir: dir, masterKey: cryptoRandom.bytes(32), toolEnv: process.env, jobsWaiting: () => undefined,
    };
  });
  after(async () => {
    await app.catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates one repository for concurrent first jobs, opened by the catalog password', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => tenantRepositoryAccess(app, 't-race')));
    assert.equal(new Set(all.map((a) => a.password)).size, 1);
    assert.equal(readdirSync(join(all[0]!.location, 'keys')).length, 1, 'one key file');
    await openTenantRepository(app, 't-race');
    if (existsSync(RESTIC)) {
      const r = spawnSync(RESTIC, ['-r', all[0]!.location, 'cat', 'config'], { env: { ...process.env, RESTIC_PASSWORD: all[0]!.password }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it('finishes a repository whose creation stopped before its config was written', async () => {
    const first = await tenantRepositoryAccess(app, 't-crash');
    unlinkSync(join(first.location, 'config')); // as if killed between the key file and the config
    const again = await tenantRepositoryAccess(app, 't-crash');
    assert.equal(again.password, first.password);
    assert.equal(readdirSync(join(again.location, 'keys')).length, 1, 'the stray key file is gone');
    await openTenantRepository(app, 't-crash');
  });

  it('creates the repository when only the catalog row exists, and opens it with its new key', async () => {
    const first = await tenantRepositoryAccess(app, 't-row');
    const before = await openTenantRepository(app, 't-row');
    rmSync(first.location, { recursive: true });
    const after = await openTenantRepository(app, 't-row');
    assert.ok(existsSync(join(first.location, 'config')));
    assert.notEqual(after.config.id, before.config.id, 'a new repository, not the cached one');
  });
});
