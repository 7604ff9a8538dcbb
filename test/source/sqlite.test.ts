/**
 * The sqlite driver: a WAL-mode database with an open writer connection is
 * copied with the online backup API and restored over a damaged file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteDriver } from '../../src/source/sqlite.js';
import { sourceConformance } from './conformance.js';

function fingerprint(path: string): Promise<string> {
  const db = new Database(path, { readonly: true });
  try {
    const schema = db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all();
    const rows = db.prepare('SELECT * FROM items ORDER BY id').all();
    return Promise.resolve(JSON.stringify({ schema, rows }));
  } catch (err) {
    return Promise.resolve(`unreadable: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

sourceConformance('sqlite', sqliteDriver, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-sqlite-'));
  const path = join(dir, 'app.db');
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  writer.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, blob BLOB); CREATE INDEX items_name ON items (name)');
  const insert = writer.prepare('INSERT INTO items (name, blob) VALUES (?, ?)');
  writer.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`item ${i}`, Buffer.alloc(64, i % 256));
  })();
  return {
    config: { path },
    target: {},
    fingerprint: () => fingerprint(path),
    damage: async () => {
      writer.exec("DELETE FROM items WHERE id % 2 = 0; UPDATE items SET name = 'changed'");
      writer.close(); // the restore replaces the file: nobody may hold it open
    },
    failing: { config: { path: join(dir, 'missing.db') } },
    abortKills: false,
    cleanup: async () => {
      if (writer.open) writer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
