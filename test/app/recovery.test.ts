/**
 * Recovery (src/app/recovery.ts) on this machine's PostgreSQL (127.0.0.1:5432,
 * postgres, trust) and MariaDB (127.0.0.1:3306, root, no password), run by a
 * real server's runner. Per engine: a scratch database is backed up (dump A,
 * tagged as the PaaS dialect tags), changed and backed up again (dump B), then
 * changed again. Recovering by tag and by a time between the two backups must
 * give dump A exactly, the latest dump B; the history lists the three newest
 * first; no match is NOT_FOUND, a busy resource CONFLICT; keepForever takes
 * the chosen backup out of retention's reach, and a refused recovery does not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHoldfastError, type ErrorCode } from '../../src/common/errors.js';
import type { Backup } from '../../src/catalog/index.js';
import { listRecoveries, requestRecovery, type RecoveryChoice } from '../../src/app/recovery.js';
import { backupsToDelete } from '../../src/jobs/retention.js';
import { plainDumpAt, psqlAt } from '../http/pg-cluster.js';
import { serviceSkip, sh, uniqueName } from '../source/helpers.js';
import { startAppServer, type AppServer } from './app-server.js';

interface Engine {
  readonly name: string;
  readonly port: number;
  readonly driver: string;
  config(db: string): unknown;
  sql(db: string, statements: string): Promise<unknown>;
  dump(db: string): Promise<string>;
  createDb(db: string): Promise<unknown>;
  dropDb(db: string): Promise<unknown>;
  /** Builds the schema; then `changes[0]`, `changes[1]` change data and objects, and make new ones (which recovery must drop). */
  readonly schema: string;
  readonly changes: readonly [string, string];
}

const mariaClient = ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];

const ENGINES: readonly Engine[] = [
  {
    name: 'PostgreSQL', port: 5432, driver: 'postgres',
    config: (db) => ({ url: `postgres://postgres@127.0.0.1:5432/${db}` }),
    sql: (db, s) => psqlAt(5432, db, s),
    dump: (db) => plainDumpAt(5432, db),
    createDb: (db) => psqlAt(5432, 'postgres', `CREATE DATABASE ${db}`),
    dropDb: (db) => psqlAt(5432, 'postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`),
    schema: `
      CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2), joined date);
      INSERT INTO customers (name, balance, joined) SELECT 'customer ' || i, i * 1.5, date '2020-01-01' + i FROM generate_series(1, 3000) i;
      CREATE TABLE orders (id bigserial PRIMARY KEY, customer int REFERENCES customers (id), total numeric(12,2), note text);
      INSERT INTO orders (customer, total, note) SELECT 1 + i % 3000, i * 0.25, md5(i::text) FROM generate_series(1, 8000) i;
      CREATE INDEX orders_customer ON orders (customer);
      CREATE VIEW big_spenders AS SELECT customer, sum(total) AS spent FROM orders GROUP BY customer HAVING sum(total) > 1000;`,
    changes: [
      "UPDATE customers SET balance = 0 WHERE id < 500; DELETE FROM orders WHERE id % 3 = 0; INSERT INTO customers (name) VALUES ('late one'); ALTER TABLE customers ADD COLUMN email text; CREATE TABLE audit_after (id int); INSERT INTO audit_after VALUES (1);",
      "DROP VIEW big_spenders; DELETE FROM orders WHERE customer < 1000; UPDATE customers SET email = 'x@example.org';",
    ],
  },
  {
    name: 'MariaDB', port: 3306, driver: 'mariadb',
    config: (db) => ({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: db }),
    sql: (db, s) => sh('mariadb', [...mariaClient, db, '-e', s]),
    dump: (db) => sh('mariadb-dump', [...mariaClient, '--skip-dump-date', '--single-transaction', '--routines', '--triggers', '--events', db]),
    createDb: (db) => sh('mariadb', [...mariaClient, '-e', `CREATE DATABASE ${db}`]),
    dropDb: (db) => sh('mariadb', [...mariaClient, '-e', `DROP DATABASE IF EXISTS ${db}`]),
    schema: `
      CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, balance DECIMAL(12,2), joined DATE) ENGINE=InnoDB;
      INSERT INTO customers (name, balance, joined) SELECT CONCAT('customer ', seq), seq * 1.5, DATE('2020-01-01') + INTERVAL seq DAY FROM seq_1_to_3000;
      CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, total DECIMAL(12,2), note TEXT, FOREIGN KEY (customer) REFERENCES customers (id)) ENGINE=InnoDB;
      INSERT INTO orders (customer, total, note) SELECT 1 + seq % 3000, seq * 0.25, MD5(seq) FROM seq_1_to_8000;
      CREATE VIEW big_spenders AS SELECT customer, SUM(total) AS spent FROM orders GROUP BY customer HAVING SUM(total) > 1000;
      CREATE PROCEDURE count_orders() SELECT COUNT(*) FROM orders;`,
    changes: [
      "UPDATE customers SET balance = 0 WHERE id < 500; DELETE FROM orders WHERE id % 3 = 0; INSERT INTO customers (name) VALUES ('late one'); ALTER TABLE customers ADD COLUMN email VARCHAR(64); CREATE TABLE audit_after (id INT); INSERT INTO audit_after VALUES (1);",
      "DROP VIEW big_spenders; DELETE FROM orders WHERE customer < 1000; UPDATE customers SET email = 'x@example.org';",
    ],
  },
];

const TAG_A = 'TAG20261201T120000';
const TAG_B = 'TAG20261201T130000';

const code = (c: ErrorCode) => (e: unknown): boolean => isHoldfastError(e, c);

for (const engine of ENGINES) {
  const skip = await serviceSkip(engine.name, engine.port);

  describe(`recovery on ${engine.name}`, { skip }, () => {
    let s: AppServer;
    const db = uniqueName('holdfast_recover');
    let resourceId = '';
    let dumpA = '';
    let dumpB = '';
    let a: Backup | undefined;
    let b: Backup | undefined;

    const recover = async (choice: RecoveryChoice, opts?: { keepForever?: boolean }): Promise<{ backupId: string }> => {
      const { job, backup } = await requestRecovery(s.app, s.who, resourceId, choice, opts);
      assert.deepEqual(job.params, { target: { recreate: true }, recovery: choice });
      const done = await s.waitForJob(job.id);
      assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.error));
      return { backupId: backup.id };
    };

    before(async () => {
      s = await startAppServer(`recover-${engine.driver}`);
      await engine.createDb(db);
      await engine.sql(db, engine.schema);
      resourceId = await s.createResource(`db-${engine.driver}`, engine.driver, engine.config(db));
      dumpA = await engine.dump(db);
      a = await s.backup({ resourceId, type: 'FULL', extra: { dbTag: TAG_A } });
      await engine.sql(db, engine.changes[0]);
      dumpB = await engine.dump(db);
      b = await s.backup({ resourceId, type: 'FULL', extra: { dbTag: TAG_B } });
      await engine.sql(db, engine.changes[1]);
    });

    after(async () => {
      await engine.dropDb(db).catch(() => undefined);
      await s?.stop();
    });

    it('recovers by tag, by a time between the backups, and the latest, each to its backup\'s exact dump', async () => {
      assert.ok(a && b, 'both backups were made');
      assert.notEqual(dumpA, dumpB);
      assert.notEqual(await engine.dump(db), dumpB, 'changed again after the second backup');

      assert.equal((await recover({ tag: TAG_A })).backupId, a.id);
      assert.equal(await engine.dump(db), dumpA);

      await engine.sql(db, engine.changes[0]);
      const between = a.timeAvailable!;
      assert.ok(Date.parse(a.timeImaged!) <= Date.parse(between) && Date.parse(between) < Date.parse(b.timeImaged!), 'the time lies between the two images');
      assert.equal((await recover({ timestamp: between })).backupId, a.id);
      assert.equal(await engine.dump(db), dumpA);

      assert.equal((await recover({ latest: true })).backupId, b.id);
      assert.equal(await engine.dump(db), dumpB);
    });

    it('lists the recoveries newest first with their choices and backups', async () => {
      const history = await listRecoveries(s.app, s.who, resourceId);
      assert.deepEqual(history.map((r) => r.choice), [{ latest: true }, { timestamp: a!.timeAvailable }, { tag: TAG_A }]);
      assert.deepEqual(history.map((r) => r.backupId), [b!.id, a!.id, a!.id]);
      assert.ok(history.every((r) => r.job.state === 'SUCCEEDED' && r.job.kind === 'restore'));
    });

    it('answers NOT_FOUND when no backup matches and INVALID_ARGUMENT for a bad choice', async () => {
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { tag: 'TAG20000101T000000' }), code('NOT_FOUND'));
      const before_ = new Date(Date.parse(a!.timeImaged!) - 1000).toISOString().replace(/Z$/, '');
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { timestamp: before_ }), code('NOT_FOUND'), 'a time without offset is UTC');
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { timestamp: '01-Dec-2026 12:00:00' }), code('INVALID_ARGUMENT'));
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { latest: true, tag: TAG_A } as never), code('INVALID_ARGUMENT'));
      await assert.rejects(requestRecovery(s.app, s.who, 'res_nope', { latest: true }), code('NOT_FOUND'));
      assert.equal((await listRecoveries(s.app, s.who, resourceId)).length, 3, 'refused requests queue nothing');
    });

    it('refuses a recovery while another job holds the resource, leaving keepForever as it was; keepForever then exempts the backup from retention', async () => {
      const scheduled = async (): Promise<Backup[]> =>
        (await Promise.all([a!, b!].map((x) => s.app.catalog.backups.get(s.who.tenantId, x.id)))).map((x) => ({ ...x!, source: 'SCHEDULED' as const }));
      const retentionDeletes = async (): Promise<string[]> => backupsToDelete(await scheduled(), { keepLast: 1 }, Date.now());
      assert.deepEqual(await retentionDeletes(), [a!.id], 'as SCHEDULED backups, keepLast 1 would delete the older');

      const first = await requestRecovery(s.app, s.who, resourceId, { latest: true });
      await assert.rejects(requestRecovery(s.app, s.who, resourceId, { tag: TAG_A }, { keepForever: true }), code('CONFLICT'));
      assert.equal((await s.app.catalog.backups.get(s.who.tenantId, a!.id))!.keepForever, false);
      assert.equal((await s.waitForJob(first.job.id)).state, 'SUCCEEDED');

      const kept = await recover({ tag: TAG_A }, { keepForever: true });
      assert.equal(kept.backupId, a!.id);
      assert.equal((await s.app.catalog.backups.get(s.who.tenantId, a!.id))!.keepForever, true);
      assert.deepEqual(await retentionDeletes(), [], 'keep-forever backups are never deleted by retention');
      assert.equal(await engine.dump(db), dumpA);
    });
  });
}
