/**
 * The small HTTP client the API commands share: it talks to a running
 * `holdfast serve` over /v1 and turns every failure into a catalog error, so
 * an API answer `{code, message}` leaves the CLI with that code's exit code.
 */
import { ERRORS, fail, type ErrorCode, type HoldfastError } from '../../common/errors.js';

export interface ApiTarget {
  /** The server's base URL, without a trailing slash. */
  readonly server: string;
  readonly token?: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}

/** A request that hangs this long is given up (a server that accepts but never answers). */
const REQUEST_TIMEOUT_MS = 60_000;

export interface ApiClient {
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  /** The answer's body, or undefined for 204. */
  delete<T = undefined>(path: string): Promise<T>;
  /** Follows `next` cursors until the list ends or `limit` items were read. */
  listAll<T>(path: string, query?: Record<string, string | undefined>, limit?: number): Promise<T[]>;
}

export function apiClient(target: ApiTarget): ApiClient {
  const call = async <T>(method: string, path: string, query?: Record<string, string | number | undefined>, body?: unknown): Promise<T> => {
    const url = `${target.server}${path}${queryString(query)}`;
    const res = await send(target, method, url, body);
    const text = await res.text().catch(() => '');
    if (res.ok) return (text === '' ? undefined : parseJson(text, target.server, res.status)) as T;
    throw answerError(target, method, path, res.status, text);
  };
  return {
    get: (path, query) => call('GET', path, query),
    post: (path, body) => call('POST', path, undefined, body ?? {}),
    patch: (path, body) => call('PATCH', path, undefined, body),
    delete: (path) => call('DELETE', path),
    async listAll<T>(path: string, query: Record<string, string | undefined> = {}, limit = Infinity): Promise<T[]> {
      const items: T[] = [];
      let after: string | undefined;
      do {
        const page = await call<Page<T>>('GET', path, { ...query, limit: Math.min(1000, limit - items.length), after });
        items.push(...page.items);
        after = page.next;
      } while (after !== undefined && items.length < limit);
      return items;
    },
  };
}

async function send(target: ApiTarget, method: string, url: string, body: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(target.token === undefined ? {} : { authorization: `Bearer ${target.token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    // fetch hides the socket error in `cause`; its code (ECONNREFUSED, ENOTFOUND…) is what a person needs.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = (err as { name?: string }).name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : cause?.code ?? cause?.message ?? String(err);
    throw fail('BACKEND_IO', `cannot reach the Holdfast server at ${target.server}: ${why} (is \`holdfast serve\` running there? set --server or HOLDFAST_SERVER)`);
  }
}

function queryString(query: Record<string, string | number | undefined> | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function parseJson(text: string, server: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw fail('INTERNAL', `the server at ${server} answered HTTP ${status} with a body that is not JSON: is it a Holdfast server?`);
  }
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The API's `{code, message}` as a catalog error of the same code, naming the request that got it. */
function answerError(target: ApiTarget, method: string, path: string, status: number, text: string): HoldfastError {
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not our error format (a proxy, another service): report the status alone.
  }
  const code: ErrorCode = isErrorCode(body.code) ? body.code : status === 401 ? 'UNAUTHENTICATED' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  const message = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  const hint = code !== 'UNAUTHENTICATED' ? ''
    : target.token === undefined ? ' (no token given: use --token, --token-file or HOLDFAST_TOKEN)'
      : ' (the token was refused: check --token, --token-file or HOLDFAST_TOKEN)';
  return fail(code, `${code}: ${message}${hint} [HTTP ${status} from ${method} ${target.server}${path}]`, { data: { status } });
}
