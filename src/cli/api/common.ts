/**
 * Options every API command shares (server, token, --json, --quiet), the
 * client they build, and finding a resource by id or by its unique name.
 */
import type { Command } from 'commander';
import { fail, isHoldfastError } from '../../common/errors.js';
import type { Resource } from '../../catalog/types.js';
import type { CliContext } from '../context.js';
import { apiClient, type ApiClient } from './client.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

export interface ApiFlags {
  readonly server?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function addApiOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `the Holdfast server (env HOLDFAST_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'API bearer token (env HOLDFAST_TOKEN)')
    .option('--token-file <file>', 'read the API token from a file (env HOLDFAST_TOKEN_FILE)')
    .option('--json', 'print machine-readable JSON')
    .option('-q, --quiet', 'print only errors');
}

export function apiFlagsOf(cmd: Command): ApiFlags {
  return cmd.optsWithGlobals<ApiFlags>();
}

/** Flags win over the environment; a token file is trimmed, like a password file. */
export async function connect(ctx: CliContext, flags: ApiFlags): Promise<ApiClient> {
  const server = serverUrl(flags.server ?? ctx.settings.server ?? DEFAULT_SERVER);
  const tokenFile = flags.tokenFile ?? (flags.token === undefined ? ctx.settings.tokenFile : undefined);
  const token = tokenFile !== undefined ? (await ctx.readFile(tokenFile)).trim() : flags.token ?? ctx.settings.token;
  return apiClient({ server, ...(token === undefined || token === '' ? {} : { token }) });
}

function serverUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail('INVALID_ARGUMENT', `--server must be a URL such as ${DEFAULT_SERVER}, got ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('INVALID_ARGUMENT', `--server must be an http or https URL, got ${raw}`);
  return url.href.replace(/\/+$/, '');
}

export { say } from '../output.js';

/** An id answers directly; otherwise the resource whose name it is (names are unique per tenant). */
export async function findResource(api: ApiClient, ref: string): Promise<Resource> {
  try {
    return await api.get<Resource>(`/v1/resources/${encodeURIComponent(ref)}`);
  } catch (err) {
    if (!isHoldfastError(err, 'NOT_FOUND')) throw err;
  }
  const match = (await api.listAll<Resource>('/v1/resources')).find((r) => r.name === ref);
  if (match === undefined) throw fail('NOT_FOUND', `no resource with the id or name ${ref}`);
  return match;
}

/** A JSON object given on the command line (--config, --to). */
export function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw fail('INVALID_ARGUMENT', `${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('INVALID_ARGUMENT', `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

export function enc(id: string): string {
  return encodeURIComponent(id);
}

export function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw fail('INVALID_ARGUMENT', `${what} must be a positive whole number, got ${text}`);
  return n;
}
