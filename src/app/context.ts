/** What every use case needs, built once by the composition root. */
import type { Clock, Random } from '../common/clock.js';
import type { Catalog } from '../catalog/index.js';
import type { RepositoryEnv } from '../repository/context.js';

export interface AppContext {
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly random: Random;
  readonly repoEnv: RepositoryEnv;
  /** Holds one repository per tenant (`repos/<tenant id>`) and scratch space (`tmp/`). */
  readonly dataDir: string;
  /** Where volumes restored into new resources are written (default `<dataDir>/volumes`). */
  readonly volumesDir?: string;
  readonly masterKey: Buffer;
  /** The environment database tools run with (PATH, locale); passwords are added per call. */
  readonly toolEnv: Readonly<Record<string, string | undefined>>;
  /** Tells the job runner that a job is waiting. */
  readonly jobsWaiting: () => void;
  /** Where clients reach this server (e.g. `https://backup.example.com`), for absolute URLs in answers; unset: from each request's Host. */
  readonly publicBaseUrl?: string;
  /** Other regions backups can be copied to: name → data directory holding `repos/<tenant id>`. */
  readonly regions?: Readonly<Record<string, string>>;
  /** The name of the home region (the one `dataDir` serves); default 'local'. */
  readonly region?: string;
}

/** Who is calling: resolved from a credential by the auth use case. */
export interface Principal {
  readonly tenantId: string;
  readonly role: 'admin' | 'member';
  readonly credentialId: string;
}

export function nowIso(clock: Clock): string {
  return new Date(Number(clock.nowNs() / 1_000_000n)).toISOString();
}

export function newId(random: Random, prefix: string): string {
  return `${prefix}_${random.bytes(12).toString('hex')}`;
}
