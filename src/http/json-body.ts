/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks included)
 * behind a nesting-depth limit. Bodies end up stored as JSON text (tags,
 * configs, job params), and serializing a body nested tens of thousands of
 * levels deep overflows the stack — a 500 for what is bad input, so such a
 * body is refused as INVALID_ARGUMENT before anything parses it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail } from '../common/errors.js';

/** Deeper than any body of ours needs (OCI defined tags are 3 levels). */
export const MAX_JSON_DEPTH = 32;

const OPEN = new Set(['{', '[']);
const CLOSE = new Set(['}', ']']);

/** The deepest nesting of objects and arrays in JSON text, not counting brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (OPEN.has(ch)) max = Math.max(max, ++depth);
    else if (CLOSE.has(ch)) depth--;
  }
  return max;
}

type Done = (err: Error | null, body?: unknown) => void;

export function useBoundedJsonParser(server: FastifyInstance): void {
  const parse = server.getDefaultJsonParser('error', 'error');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (req: FastifyRequest, body: string, done: Done) => {
    if (jsonDepth(body) > MAX_JSON_DEPTH) return done(fail('INVALID_ARGUMENT', `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`));
    return parse(req, body, done);
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, kept by keepRawBodies for dialects that authenticate over it. */
    rawBody?: Buffer;
  }
}

/**
 * Keeps every body of this (encapsulated) instance raw and unparsed, for
 * dialects whose authentication must run before parsing (OCI signs the body's
 * hash; a refused request must never reach a JSON parser's errors).
 */
export function keepRawBodies(server: FastifyInstance): void {
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done: Done) => {
    request.rawBody = body;
    done(null, undefined);
  });
}

/** JSON text behind the same depth bound as the parser above; INVALID_ARGUMENT with `data` (a dialect's own code) otherwise. */
export function parseBoundedJson(text: string, data: Record<string, unknown> = {}): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw fail('INVALID_ARGUMENT', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels.`, { data });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail('INVALID_ARGUMENT', 'The request body is not valid JSON.', { data });
  }
}
