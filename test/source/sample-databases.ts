/**
 * The sample databases the recovery tests use, on this machine's PostgreSQL
 * (127.0.0.1:5432, postgres, trust) and MariaDB (127.0.0.1:3306, root, no
 * password): how to make, change, dump and drop one. `changes[0]` changes
 * rows and objects and makes a new table (a recovery must drop it);
 * `changes[1]` changes more.
 */
import { plainDumpAt, psqlAt } from '../http/pg-cluster.js';
import { sh } from './helpers.js';

export interface SampleEngine {
  readonly name: string;
  readonly port: number;
  readonly driver: string;
  config(db: string): unknown;
  sql(db: string, statements: string): Promise<unknown>;
  dump(db: string): Promise<string>;
  createDb(db: string): Promise<unknown>;
  dropDb(db: string): Promise<unknown>;
  readonly schema: string;
  readonly changes: readonly [string, string];
}

const maria = ['--protocol=TCP', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];

export const POSTGRES_SAMPLE: SampleEngine = {
  name: 'PostgreSQL', port: 5432, driver: 'postgres',
  config: (db) => ({ url: `postgres://postgres@127.0.0.1:5432/${db}` }),
  sql: (db, s) => psqlAt(5432, db, s),
  dump: (db) => plainDumpAt(5432, db),
  createDb: (db) => psqlAt(5432, 'postgres', `CREATE DATABASE ${db}`),
  dropDb: (db) => psqlAt(5432, 'postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`),
  schema: `
    CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, balance numeric(12,2), joined date);
    INSERT INTO customers (name, balance, joined) SELECT 'customer ' || i, i * 1.5, date '2020-01-01' + i FROM generate_series(1, 2000) i;
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer int REFERENCES customers (id), total numeric(12,2), note text);
    INSERT INTO orders (customer, total, note) SELECT 1 + i % 2000, i * 0.25, md5(i::text) FROM generate_series(1, 5000) i;
    CREATE INDEX orders_customer ON orders (customer);
    CREATE VIEW big_spenders AS SELECT customer, sum(total) AS spent FROM orders GROUP BY customer HAVING sum(total) > 1000;`,
  changes: [
    "UPDATE customers SET balance = 0 WHERE id < 300; DELETE FROM orders WHERE id % 3 = 0; INSERT INTO customers (name) VALUES ('late one'); ALTER TABLE customers ADD COLUMN email text; CREATE TABLE audit_after (id int); INSERT INTO audit_after VALUES (1);",
    "DROP VIEW big_spenders; DELETE FROM orders WHERE customer < 700; UPDATE customers SET email = 'x@example.org';",
  ],
};

export const MARIADB_SAMPLE: SampleEngine = {
  name: 'MariaDB', port: 3306, driver: 'mariadb',
  config: (db) => ({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: db }),
  sql: (db, s) => sh('mariadb', [...maria, db, '-e', s]),
  dump: (db) => sh('mariadb-dump', [...maria, '--skip-dump-date', '--single-transaction', '--routines', '--triggers', '--events', db]),
  createDb: (db) => sh('mariadb', [...maria, '-e', `CREATE DATABASE ${db}`]),
  dropDb: (db) => sh('mariadb', [...maria, '-e', `DROP DATABASE IF EXISTS ${db}`]),
  schema: `
    CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, balance DECIMAL(12,2), joined DATE) ENGINE=InnoDB;
    INSERT INTO customers (name, balance, joined) SELECT CONCAT('customer ', seq), seq * 1.5, DATE('2020-01-01') + INTERVAL seq DAY FROM seq_1_to_2000;
    CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer INT, total DECIMAL(12,2), note TEXT, FOREIGN KEY (customer) REFERENCES customers (id)) ENGINE=InnoDB;
    INSERT INTO orders (customer, total, note) SELECT 1 + seq % 2000, seq * 0.25, MD5(seq) FROM seq_1_to_5000;
    CREATE VIEW big_spenders AS SELECT customer, SUM(total) AS spent FROM orders GROUP BY customer HAVING SUM(total) > 1000;
    CREATE PROCEDURE count_orders() SELECT COUNT(*) FROM orders;`,
  changes: [
    "UPDATE customers SET balance = 0 WHERE id < 300; DELETE FROM orders WHERE id % 3 = 0; INSERT INTO customers (name) VALUES ('late one'); ALTER TABLE customers ADD COLUMN email VARCHAR(64); CREATE TABLE audit_after (id INT); INSERT INTO audit_after VALUES (1);",
    "DROP VIEW big_spenders; DELETE FROM orders WHERE customer < 700; UPDATE customers SET email = 'x@example.org';",
  ],
};

export const SAMPLE_ENGINES: readonly SampleEngine[] = [POSTGRES_SAMPLE, MARIADB_SAMPLE];
