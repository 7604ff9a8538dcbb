/**
 * The mariadb driver against the local MariaDB (127.0.0.1:3306, root without
 * password): round trip of a fresh database, compared by mariadb-dump
 * --skip-dump-date; the restore recreates the dropped database.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHoldfastError } from '../../src/common/errors.js';
import { mariadbDriver } from '../../src/source/mariadb.js';
import { sourceConformance } from './conformance.js';
import { serviceSkip, sh, uniqueName } from './helpers.js';

const skip = await serviceSkip('MariaDB', 3306);
const client = ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];

const sql = (statements: string, db?: string): Promise<string> => sh('mariadb', [...client, ...(db ? [db] : []), '-e', statements]);

const SCHEMA = `
  CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, payload TEXT) ENGINE=InnoDB;
  INSERT INTO items SELECT seq, CONCAT('item ', seq), CONCAT(MD5(seq), MD5(seq * 7)) FROM seq_1_to_30000;
  CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT) ENGINE=InnoDB;
  CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item) VALUES (NEW.id);
  CREATE PROCEDURE count_items() SELECT COUNT(*) FROM items;
  CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM audit;`;

async function fingerprint(db: string): Promise<string> {
  const flags = ['--skip-dump-date', '--single-transaction', '--routines', '--triggers', '--events'];
  return sh('mariadb-dump', [...client, ...flags, db]).catch((e: Error) => `unreadable: ${e.message.split('\n')[0]}`);
}

sourceConformance('mariadb', mariadbDriver, async () => {
  const db = uniqueName('holdfast_src');
  await sql(`CREATE DATABASE ${db}`);
  await sql(SCHEMA, db);
  const secret = 'Mdb-secret-4c3b2a';
  return {
    config: { host: '127.0.0.1', port: 3306, user: 'root', database: db },
    target: {},
    fingerprint: () => fingerprint(db),
    damage: () => sql(`DROP DATABASE ${db}`).then(() => {}),
    failing: { config: { host: '127.0.0.1', user: 'root', password: secret, database: db }, secret },
    abortKills: true,
    cleanup: () => sql(`DROP DATABASE IF EXISTS ${db}`).then(() => {}),
  };
}, skip);

describe('mariadb driver', () => {
  it('accepts only plain database names, since they are quoted in CREATE DATABASE', () => {
    for (const database of ['a`b', 'x; DROP', '']) {
      assert.throws(
        () => mariadbDriver.parseConfig({ host: 'h', user: 'u', database }),
        (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT') && e.message.includes('database'),
      );
    }
    const config = mariadbDriver.parseConfig({ host: 'h', user: 'u', database: 'shop' });
    assert.deepEqual(mariadbDriver.parseTarget({}, config), { database: 'shop', recreate: false });
    assert.throws(() => mariadbDriver.parseTarget({ database: 'a b' }, config), (e: unknown) => isHoldfastError(e, 'INVALID_ARGUMENT'));
  });
});
