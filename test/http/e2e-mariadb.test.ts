/**
 * MariaDB end to end through /v1 on the local server (127.0.0.1:3306, root
 * without password): a uniquely named database with several column types,
 * a view, a trigger, a procedure and a few thousand rows is backed up, changed,
 * then dropped; the restore (which recreates it) must give a `mariadb-dump
 * --skip-dump-date` identical to the one taken before the backup. A restore
 * into another target database gives the same dump but for its name, and the
 * stock `restic restore` of the snapshot gives that dump file back.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceSkip, sh, uniqueName } from '../source/helpers.js';
import { checkRepositories, restic, startE2E, type E2E } from './e2e-helpers.js';

const skip = await serviceSkip('MariaDB', 3306);
const client = ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];

const sql = (statements: string, db?: string): Promise<string> => sh('mariadb', [...client, ...(db ? [db] : []), '-e', statements]);

const dump = (db: string): Promise<string> =>
  sh('mariadb-dump', [...client, '--skip-dump-date', '--single-transaction', '--routines', '--triggers', '--events', db]);

const SCHEMA = `
  CREATE TABLE accounts (
    id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(128) NOT NULL UNIQUE, balance DECIMAL(12,2), ratio DOUBLE, born DATE,
    seen DATETIME(3), active BOOLEAN, kind ENUM('free','paid','staff'), flags SET('a','b','c'), avatar BLOB, bio TEXT, meta JSON
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
  INSERT INTO accounts (email, balance, ratio, born, seen, active, kind, flags, avatar, bio, meta)
    SELECT CONCAT('user', seq, '@example.org'), seq * 1.25, seq / 7, DATE('1960-01-01') + INTERVAL seq DAY,
      TIMESTAMP('2024-01-01 00:00:00.123') + INTERVAL seq MINUTE, seq % 2, ELT(1 + seq % 3, 'free', 'paid', 'staff'),
      ELT(1 + seq % 4, '', 'a', 'a,b', 'b,c'), UNHEX(MD5(seq)), CONCAT('bio «', seq, '» it''s\\ttabbed\\n'), JSON_OBJECT('n', seq)
    FROM seq_1_to_4000;
  CREATE TABLE payments (id INT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, cents BIGINT, FOREIGN KEY (account) REFERENCES accounts (id)) ENGINE=InnoDB;
  INSERT INTO payments (account, cents) SELECT 1 + seq % 4000, seq * 3 FROM seq_1_to_6000;
  CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, account INT) ENGINE=InnoDB;
  CREATE TRIGGER accounts_audit AFTER INSERT ON accounts FOR EACH ROW INSERT INTO audit (account) VALUES (NEW.id);
  CREATE VIEW paid AS SELECT id, email FROM accounts WHERE kind = 'paid';
  CREATE PROCEDURE total_of(a INT) SELECT SUM(cents) FROM payments WHERE account = a;`;

describe('mariadb end to end', { skip }, () => {
  let e2e: E2E;
  const db = uniqueName('holdfast_e2e');
  const other = `${db}_copy`;
  let before_ = '';
  let backupId: string | undefined;
  before(async () => { e2e = await startE2E('mariadb'); });
  after(async () => {
    await sql(`DROP DATABASE IF EXISTS ${db}; DROP DATABASE IF EXISTS ${other}`).catch(() => {});
    await e2e.stop();
  });

  it('restores a dropped database to the same mariadb-dump as before the backup', async () => {
    await sql(`CREATE DATABASE ${db}`);
    await sql(SCHEMA, db);
    before_ = await dump(db);
    assert.match(before_, /INSERT INTO `accounts` VALUES/);
    const resourceId = await e2e.createResource('shop-db', 'mariadb', { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: db });
    const backup = await e2e.backup(resourceId);
    backupId = backup.id;
    assert.equal(backup.extra.input.filename, `${db}.sql`);

    await sql("UPDATE accounts SET balance = 0 WHERE id < 50; DELETE FROM payments WHERE id % 2 = 0; DROP VIEW paid;", db);
    assert.notEqual(await dump(db), before_);
    await sql(`DROP DATABASE ${db}`);

    await e2e.restore(backup.id, {});
    assert.equal(await dump(db), before_);
  });

  it('restores into another target database', async () => {
    assert.ok(backupId, 'the round trip above must have run');
    await e2e.restore(backupId, { database: other });
    // the dump names its database in the header and above the routines
    const named = (text: string, name: string): string => text.split(name).join('<db>');
    assert.equal(named(await dump(other), other), named(before_, db));
  });

  it('restic restore of the snapshot gives the dump holdfast stored, equal to the dump before the backup', async () => {
    assert.ok(backupId, 'the round trip above must have run');
    const backup = (await e2e.call('GET', `/v1/backups/${backupId}`)).json;
    const [repo] = await e2e.repositories();
    assert.ok(repo);
    const target = join(e2e.dir, 'restic-restore');
    await restic(repo, ['restore', backup.snapshotIds[0], '--target', target]);
    const file = await readFile(join(target, `${db}.sql`));
    assert.equal(file.length, backup.logicalBytes);
    // the driver's dump carries its date on the last line; the comparison dump was taken with --skip-dump-date
    const undated = file.toString('utf8').replace(/^-- Dump completed on .*$/m, '-- Dump completed');
    assert.equal(undated, before_);
  });

  it('leaves every repository it used passing restic check --read-data', async () => {
    await checkRepositories(e2e);
  });
});
