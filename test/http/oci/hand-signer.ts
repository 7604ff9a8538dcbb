/**
 * A hand-written OCI request signer for tests, independent of the SDK and of
 * the server's verifier: it follows oci.md §2 the way the Python SDK / OCI CLI
 * do (signing `date`, not `x-date`), and a raw node:http sender that puts the
 * path on the wire exactly as given, so percent-encoding and header sets are
 * under the test's control.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';

export type ParamOrder = 'ts' | 'python' | 'go';

export interface SignOptions {
  readonly key: KeyObject;
  readonly keyId: string;
  /** The names to sign, in order; default: Python's set for the method. */
  readonly sign?: readonly string[];
  readonly date?: Date;
  readonly contentType?: string;
  /** Further headers sent (and signed only when `sign` names them). */
  readonly extra?: Readonly<Record<string, string>>;
  readonly order?: ParamOrder;
}

export const PY_GET_HEADERS = ['date', '(request-target)', 'host'] as const;
export const PY_BODY_HEADERS = [...PY_GET_HEADERS, 'content-length', 'content-type', 'x-content-sha256'] as const;

export function sha256Base64(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

/** The Authorization header with its parameters in the order the named SDK writes them. */
export function authorizationHeader(keyId: string, names: readonly string[], signature: string, order: ParamOrder = 'python'): string {
  const p = { version: '1', keyId, algorithm: 'rsa-sha256', headers: names.join(' '), signature };
  const keys: Record<ParamOrder, (keyof typeof p)[]> = {
    ts: ['version', 'keyId', 'algorithm', 'headers', 'signature'],
    python: ['algorithm', 'headers', 'keyId', 'signature', 'version'],
    go: ['version', 'headers', 'keyId', 'algorithm', 'signature'],
  };
  return `Signature ${keys[order].map((k) => `${k}="${p[k]}"`).join(',')}`;
}

/** The headers of a signed request to `base` + `path` (path sent and signed exactly as given). */
export function signedHeaders(base: string, method: string, path: string, body: Buffer | undefined, opts: SignOptions): Record<string, string> {
  const headers: Record<string, string> = {
    host: new URL(base).host,
    date: (opts.date ?? new Date()).toUTCString(),
    ...(body === undefined ? {} : {
      'content-type': opts.contentType ?? 'application/json', 'content-length': String(body.length), 'x-content-sha256': sha256Base64(body),
    }),
    ...opts.extra,
  };
  const names = opts.sign ?? (body === undefined ? PY_GET_HEADERS : PY_BODY_HEADERS);
  const lines = names.map((n) => (n === '(request-target)' ? `(request-target): ${method.toLowerCase()} ${path}` : `${n}: ${headers[n] ?? ''}`));
  const signature = sign('sha256', Buffer.from(lines.join('\n')), opts.key).toString('base64');
  return { ...headers, authorization: authorizationHeader(opts.keyId, names, signature, opts.order) };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: any;
}

/** Sends the request as given: no header added, none normalised, the path untouched; a connection of its own (no keep-alive races). */
export function send(base: string, method: string, path: string, headers: Readonly<Record<string, string>>, body?: Buffer): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, setHost: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs and sends in one step. */
export function signedCall(base: string, method: string, path: string, body: Buffer | string | undefined, opts: SignOptions): Promise<RawAnswer> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return send(base, method, path, signedHeaders(base, method, path, bytes, opts), bytes);
}
