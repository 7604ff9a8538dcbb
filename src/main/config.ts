/**
 * The config file of `holdfast serve --config FILE` (docs/configuration.md):
 * YAML declaring the server settings, tenants with their aliases and
 * credentials, resources and policies. Everything is checked here, before
 * anything is applied: unknown keys, types, names, cron schedules, retention
 * rules, driver configs, and the secret files (which must be readable by the
 * server's user only). No secret is ever written inline: a token is declared
 * by a file holding it, or by its id and the SHA-256 of its secret part.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fail } from '../common/errors.js';
import type { BackupType, RetentionRules, Role } from '../catalog/index.js';
import { checkPolicyInput } from '../app/policies.js';
import { DEFAULT_REGION } from '../app/repositories.js';
import { splitToken } from '../app/secrets.js';
import { TENANT_ALIAS_KINDS } from '../app/tenants.js';
import { RETENTION_KEYS } from '../jobs/retention.js';
import { driverFor } from '../source/registry.js';
import { checkUnique } from './config-unique.js';
import {
  bad, checked, integer, list, object, oneOf, optionalText, parseYaml, text, where, type ConfigSource, type Path, type Plain,
} from './config-reader.js';

export interface ServerSettings {
  readonly host?: string;
  readonly port?: number;
  readonly dataDir?: string;
  /** Where volumes restored into new resources go (default `<dataDir>/volumes`). */
  readonly volumesDir?: string;
  readonly catalogUrl?: string;
  /** Read from masterKeyFile. */
  readonly masterKey?: string;
  /** PEM contents of tlsCertFile and tlsKeyFile: the server then listens with HTTPS only. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Where clients reach the server (behind a proxy or TLS terminator), for absolute URLs in answers. */
  readonly publicBaseUrl?: string;
  /** The home region's name (default 'local'). */
  readonly region?: string;
  /** Other regions backups can be copied to, by name; dataDir made absolute. */
  readonly regions?: Record<string, { readonly dataDir: string }>;
}

export interface TokenDecl {
  readonly name: string;
  readonly role: Role;
  readonly lookupId: string;
  /** SHA-256 hex of the token's secret part, as the credential store keeps it. */
  readonly secretHash: string;
}

export interface TenantDecl {
  readonly name: string;
  readonly aliases: Record<string, string[]>;
  readonly credentials: TokenDecl[];
}

export interface ResourceDecl {
  readonly tenant: string;
  readonly name: string;
  readonly driver: string;
  /** As the API takes it (config with the configFiles fields filled in). */
  readonly config: unknown;
  /** As the driver checked it and the catalog stores it, for comparing with the stored resource. */
  readonly checkedConfig: unknown;
  readonly aliases: Record<string, string>;
  /** Where it is in the file, for errors found when applying. */
  readonly at: string;
}

export interface PolicyDecl {
  readonly tenant: string;
  readonly name: string;
  readonly resources: string[];
  readonly schedule: string;
  readonly timezone: string;
  readonly backupType: BackupType;
  readonly retention: RetentionRules;
  /** A configured region each backup is copied to once AVAILABLE; null for none. */
  readonly copyToRegion: string | null;
  readonly at: string;
}

export interface HoldfastConfig {
  readonly file: string;
  readonly server: ServerSettings;
  readonly tenants: TenantDecl[];
  readonly resources: ResourceDecl[];
  readonly policies: PolicyDecl[];
}

/** The alias kinds a tenant may have: the same as the API's (DESIGN.md §3). */
const ALIAS_KINDS = Object.keys(TENANT_ALIAS_KINDS);

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const NAME_HINT = 'must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit';

interface Reader { readonly src: ConfigSource; readonly baseDir: string }

/** Reads a secret file: a regular file no one but its owner may read or write. */
function secretFile(r: Reader, v: unknown, path: Path): string {
  const file = resolve(r.baseDir, text(r.src, v, path));
  let mode: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw bad(r.src, path, `${file} is not a regular file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw bad(r.src, path, `${file} does not exist`);
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    throw bad(r.src, path, `${file} is readable or writable by group or others (mode ${mode.toString(8).padStart(4, '0')}); make it private to the server's user: chmod 600 ${file}`);
  }
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

function serverSection(r: Reader, v: unknown): ServerSettings {
  if (v === undefined || v === null) return {};
  const path = ['server'];
  const o = object(r.src, v, path, ['host', 'port', 'dataDir', 'volumesDir', 'catalogUrl', 'masterKeyFile', 'tlsCertFile', 'tlsKeyFile', 'region', 'regions', 'publicBaseUrl']);
  const dataDir = optionalText(r.src, o['dataDir'], [...path, 'dataDir']);
  const volumesDir = optionalText(r.src, o['volumesDir'], [...path, 'volumesDir']);
  return {
    ...(o['host'] === undefined ? {} : { host: text(r.src, o['host'], [...path, 'host']) }),
    ...(o['port'] === undefined ? {} : { port: integer(r.src, o['port'], [...path, 'port'], 0, 65535) }),
    ...(dataDir === undefined ? {} : { dataDir: resolve(r.baseDir, dataDir) }),
    ...(volumesDir === undefined ? {} : { volumesDir: resolve(r.baseDir, volumesDir) }),
    ...(o['catalogUrl'] === undefined ? {} : { catalogUrl: text(r.src, o['catalogUrl'], [...path, 'catalogUrl'], /^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite:, postgres:// or postgresql://') }),
    ...(o['masterKeyFile'] === undefined ? {} : { masterKey: secretFile(r, o['masterKeyFile'], [...path, 'masterKeyFile']) }),
    ...tlsFiles(r, o, path),
    ...regionSettings(r, o, path),
    ...(o['publicBaseUrl'] === undefined ? {} : { publicBaseUrl: publicBaseUrl(r, o['publicBaseUrl'], [...path, 'publicBaseUrl']) }),
  };
}

const REGION = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const REGION_HINT = 'a region name must be 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. eu-frankfurt-1)';

/** The home region's name and the other regions' data directories; no other region may take the home one's name. */
function regionSettings(r: Reader, o: Plain, path: Path): Pick<ServerSettings, 'region' | 'regions'> {
  const region = optionalText(r.src, o['region'], [...path, 'region'], REGION, REGION_HINT);
  if (o['regions'] === undefined || o['regions'] === null) return region === undefined ? {} : { region };
  const given = object(r.src, o['regions'], [...path, 'regions'], Object.keys(o['regions'] as Plain));
  const regions: Record<string, { dataDir: string }> = {};
  for (const [name, v] of Object.entries(given)) {
    const at = [...path, 'regions', name];
    text(r.src, name, at, REGION, REGION_HINT);
    if (name === (region ?? DEFAULT_REGION)) throw bad(r.src, at, `"${name}" is the home region (server.region); list only the other regions here`);
    const decl = object(r.src, v, at, ['dataDir'], ['dataDir']);
    regions[name] = { dataDir: resolve(r.baseDir, text(r.src, decl['dataDir'], [...at, 'dataDir'])) };
  }
  return { ...(region === undefined ? {} : { region }), regions };
}

/** An http(s) URL of scheme, host, optional port and optional path; kept as written (an explicit :443 stays) but for a trailing slash. */
function publicBaseUrl(r: Reader, v: unknown, path: Path): string {
  const given = text(r.src, v, path, /^https?:\/\/[^\s?#]+$/, 'must be an http:// or https:// URL without query or fragment, e.g. https://backup.example.com');
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw bad(r.src, path, 'is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw bad(r.src, path, 'must not carry a user name or password');
  return given.replace(/\/+$/, '');
}

/** Both TLS files or neither; the key, a secret, must be private to the server's user. */
function tlsFiles(r: Reader, o: Plain, path: Path): { tls?: { cert: string; key: string } } {
  if (o['tlsCertFile'] === undefined && o['tlsKeyFile'] === undefined) return {};
  if (o['tlsCertFile'] === undefined || o['tlsKeyFile'] === undefined) throw bad(r.src, path, 'tlsCertFile and tlsKeyFile go together: give both or neither');
  const certFile = resolve(r.baseDir, text(r.src, o['tlsCertFile'], [...path, 'tlsCertFile']));
  let cert: string;
  try {
    cert = readFileSync(certFile, 'utf8');
  } catch (err) {
    throw bad(r.src, [...path, 'tlsCertFile'], `cannot read ${certFile} (${(err as { code?: string }).code ?? String(err)})`);
  }
  return { tls: { cert, key: secretFile(r, o['tlsKeyFile'], [...path, 'tlsKeyFile']) } };
}

function tenantAliases(r: Reader, v: unknown, path: Path): Record<string, string[]> {
  if (v === undefined || v === null) return {};
  const o = object(r.src, v, path, ALIAS_KINDS);
  const out: Record<string, string[]> = {};
  for (const [kind, value] of Object.entries(o)) {
    const values = Array.isArray(value) ? value : [value];
    const shape = TENANT_ALIAS_KINDS[kind]!;
    out[kind] = values.map((x, i) => text(r.src, x, Array.isArray(value) ? [...path, kind, i] : [...path, kind], shape, `is not a valid ${kind} alias`));
  }
  return out;
}

function tokenDecl(r: Reader, v: unknown, path: Path): TokenDecl {
  const o = object(r.src, v, path, ['kind', 'name', 'role', 'tokenFile', 'tokenId', 'tokenSha256'], ['kind', 'name']);
  oneOf(r.src, o['kind'], [...path, 'kind'], ['token']);
  const name = text(r.src, o['name'], [...path, 'name'], NAME, `a credential name ${NAME_HINT}`);
  const role = o['role'] === undefined ? 'member' : oneOf(r.src, o['role'], [...path, 'role'], ['admin', 'member'] as const);
  const byFile = o['tokenFile'] !== undefined;
  const byHash = o['tokenId'] !== undefined && o['tokenSha256'] !== undefined;
  if (byFile === byHash || (byFile && (o['tokenId'] !== undefined || o['tokenSha256'] !== undefined))) {
    throw bad(r.src, path, 'declare a token either by tokenFile, or by tokenId and tokenSha256 (never the token itself)');
  }
  if (byFile) {
    const parts = splitToken(secretFile(r, o['tokenFile'], [...path, 'tokenFile']).trim());
    if (parts === undefined) throw bad(r.src, [...path, 'tokenFile'], 'the file does not hold a Holdfast token (hf_<12-character id>_<43-character secret>)');
    return { name, role, lookupId: parts.lookupId, secretHash: createHash('sha256').update(parts.secret).digest('hex') };
  }
  const lookupId = text(r.src, o['tokenId'], [...path, 'tokenId'], /^[A-Za-z0-9_-]{12}$/, 'must be the 12-character id of a token (hf_<id>_<secret>)');
  const secretHash = text(r.src, o['tokenSha256'], [...path, 'tokenSha256'], /^[0-9a-f]{64}$/, 'must be the SHA-256 of the token\'s secret part, 64 lowercase hex digits');
  return { name, role, lookupId, secretHash };
}

function tenantDecl(r: Reader, v: unknown, path: Path): TenantDecl {
  const o = object(r.src, v, path, ['name', 'aliases', 'credentials'], ['name']);
  return {
    name: text(r.src, o['name'], [...path, 'name'], NAME, `a tenant name ${NAME_HINT}`),
    aliases: tenantAliases(r, o['aliases'], [...path, 'aliases']),
    credentials: list(r.src, o['credentials'], [...path, 'credentials']).map((c, i) => tokenDecl(r, c, [...path, 'credentials', i])),
  };
}

function resourceConfig(r: Reader, o: Plain, path: Path, driver: string): { config: Plain; checkedConfig: unknown } {
  const config = object(r.src, o['config'] ?? {}, [...path, 'config'], Object.keys((o['config'] ?? {}) as Plain));
  const files = object(r.src, o['configFiles'] ?? {}, [...path, 'configFiles'], Object.keys((o['configFiles'] ?? {}) as Plain));
  const merged: Plain = { ...config };
  for (const [field, file] of Object.entries(files)) {
    if (field in config) throw bad(r.src, [...path, 'configFiles', field], `"${field}" is also set in config; set it in one place`);
    merged[field] = secretFile(r, file, [...path, 'configFiles', field]);
  }
  return { config: merged, checkedConfig: checked(r.src, [...path, 'config'], () => driverFor(driver).parseConfig(merged)) };
}

function resourceDecl(r: Reader, v: unknown, path: Path): ResourceDecl {
  const o = object(r.src, v, path, ['tenant', 'name', 'driver', 'config', 'configFiles', 'aliases'], ['tenant', 'name', 'driver']);
  const driver = text(r.src, o['driver'], [...path, 'driver']);
  checked(r.src, [...path, 'driver'], () => driverFor(driver));
  const aliases = object(r.src, o['aliases'] ?? {}, [...path, 'aliases'], Object.keys((o['aliases'] ?? {}) as Plain));
  for (const [key, value] of Object.entries(aliases)) text(r.src, value, [...path, 'aliases', key]);
  return {
    tenant: text(r.src, o['tenant'], [...path, 'tenant']),
    name: text(r.src, o['name'], [...path, 'name'], NAME, `a resource name ${NAME_HINT}`),
    driver, ...resourceConfig(r, o, path, driver), aliases: aliases as Record<string, string>, at: where(r.src, path),
  };
}

function retention(r: Reader, v: unknown, path: Path): RetentionRules {
  const o = object(r.src, v ?? {}, path, RETENTION_KEYS);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    out[key] = key === 'keepWithin' || key === 'expireAfter' ? text(r.src, value, [...path, key]) : integer(r.src, value, [...path, key], -1, 1_000_000);
  }
  return out as RetentionRules;
}

function policyDecl(r: Reader, v: unknown, path: Path): PolicyDecl {
  const o = object(r.src, v, path, ['tenant', 'name', 'resources', 'schedule', 'timezone', 'type', 'retention', 'copyToRegion'], ['tenant', 'name', 'resources', 'schedule']);
  const decl: PolicyDecl = {
    tenant: text(r.src, o['tenant'], [...path, 'tenant']),
    name: text(r.src, o['name'], [...path, 'name'], NAME, `a policy name ${NAME_HINT}`),
    resources: list(r.src, o['resources'], [...path, 'resources']).map((x, i) => text(r.src, x, [...path, 'resources', i])),
    schedule: text(r.src, o['schedule'], [...path, 'schedule']),
    timezone: optionalText(r.src, o['timezone'], [...path, 'timezone']) ?? 'UTC',
    backupType: o['type'] === undefined ? 'INCREMENTAL' : oneOf(r.src, o['type'], [...path, 'type'], ['FULL', 'INCREMENTAL'] as const),
    retention: retention(r, o['retention'], [...path, 'retention']),
    copyToRegion: optionalText(r.src, o['copyToRegion'], [...path, 'copyToRegion']) ?? null,
    at: where(r.src, path),
  };
  if (decl.resources.length === 0) throw bad(r.src, [...path, 'resources'], 'must name at least one resource');
  checked(r.src, path, () => checkPolicyInput({ name: decl.name, resourceIds: [], schedule: decl.schedule, timezone: decl.timezone, retention: decl.retention }));
  return decl;
}

/** Parses and checks a config file's text; `file` names it in errors and anchors relative paths. */
export function parseConfig(yamlText: string, file: string): HoldfastConfig {
  const { source, value } = parseYaml(yamlText, file);
  const r: Reader = { src: source, baseDir: dirname(resolve(file)) };
  const top = object(source, value ?? {}, [], ['server', 'tenants', 'resources', 'policies']);
  const config: HoldfastConfig = {
    file,
    server: serverSection(r, top['server']),
    tenants: list(source, top['tenants'], ['tenants']).map((t, i) => tenantDecl(r, t, ['tenants', i])),
    resources: list(source, top['resources'], ['resources']).map((x, i) => resourceDecl(r, x, ['resources', i])),
    policies: list(source, top['policies'], ['policies']).map((p, i) => policyDecl(r, p, ['policies', i])),
  };
  checkUnique(source, config);
  return config;
}

/** Reads and checks the config file. */
export function loadConfig(file: string): HoldfastConfig {
  let yamlText: string;
  try {
    yamlText = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail('INVALID_ARGUMENT', `${file}: cannot read the config file (${(err as { code?: string }).code ?? String(err)})`);
  }
  return parseConfig(yamlText, file);
}

/** The listening and storage settings: a flag set on the command line wins over the file, the file over the flags' defaults. */
export function withFileSettings<F extends { dataDir: string; host: string; port: number; given?: readonly string[] }>(flags: F, server: ServerSettings): { dataDir: string; host: string; port: number } {
  const given = new Set(flags.given ?? ['dataDir', 'host', 'port']);
  return {
    dataDir: given.has('dataDir') ? flags.dataDir : server.dataDir ?? flags.dataDir,
    host: given.has('host') ? flags.host : server.host ?? flags.host,
    port: given.has('port') ? flags.port : server.port ?? flags.port,
  };
}
