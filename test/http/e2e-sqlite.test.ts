/**
 * SQLite end to end through /v1: a database file with tables, indexes, a view,
 * a trigger and blobs is backed up, changed and partly dropped, restored over
 * itself, and must give the same `sqlite3 .dump` as before; the tenant
 * repository then passes `restic check --read-data`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { sh } from '../source/helpers.js';
import { checkRepositories, startE2E, type E2E } from './e2e-helpers.js';

const SCHEMA = `
  CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, born REAL, photo BLOB);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
    INSERT INTO people SELECT i, 'person ' || i || ' ☃', 1900 + i / 7.0, randomblob(i % 50) FROM n;
  CREATE INDEX people_name ON people (name);
  CREATE TABLE notes (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
  INSERT INTO notes VALUES ('a', 'line one
line two'), ('b', NULL), ('c', 'it''s');
  CREATE VIEW young AS SELECT id, name FROM people WHERE born > 2500;
  CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
  CREATE TRIGGER notes_audit AFTER INSERT ON notes BEGIN INSERT INTO audit (what) VALUES (NEW.k); END;
  INSERT INTO notes VALUES ('d', 'fired');`;

const dump = (path: string): Promise<string> => sh('sqlite3', [path, '.dump']);

describe('sqlite end to end', () => {
  let e2e: E2E;
  before(async () => { e2e = await startE2E('sqlite'); });
  after(async () => { await e2e.stop(); });

  it('restores a changed database file to the same .dump as at backup time', async () => {
    const db = join(e2e.dir, 'app.db');
    await sh('sqlite3', [db, SCHEMA]);
    const before = await dump(db);
    assert.match(before, /INSERT INTO people VALUES\(5000,/);
    const resourceId = await e2e.createResource('app-db', 'sqlite', { path: db });
    const backup = await e2e.backup(resourceId);

    await sh('sqlite3', [db, "DROP TABLE people; DELETE FROM notes WHERE k = 'a'; INSERT INTO notes VALUES ('z', 'new');"]);
    assert.notEqual(await dump(db), before);
    await e2e.restore(backup.id, {});
    assert.equal(await dump(db), before);

    const copy = join(e2e.dir, 'copy', 'app-copy.db');
    await e2e.restore(backup.id, { path: copy });
    assert.equal(await dump(copy), before);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
