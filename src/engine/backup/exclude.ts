/**
 * Exclude patterns with restic's meaning: shell globs (`*`, `?`, `[…]`, and
 * `**` for any number of directories). A pattern starting with `/` is
 * anchored at the root; any other pattern may match at any depth, and a
 * pattern that matches a directory excludes everything below it.
 */
import { fail } from '../../common/errors.js';

export type ExcludeMatcher = (absPath: string) => boolean;

export function compileExcludes(patterns: readonly string[]): ExcludeMatcher {
  const compiled = patterns.filter((p) => p.trim() !== '').map(compilePattern);
  if (compiled.length === 0) return () => false;
  return (absPath) => compiled.some((re) => re.test(absPath));
}

function compilePattern(pattern: string): RegExp {
  const anchored = pattern.startsWith('/');
  const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  if (body === '') throw fail('INVALID_ARGUMENT', `exclude pattern ${JSON.stringify(pattern)} matches nothing useful`);
  const parts = body.split('/');
  const source = parts.map((p, i) => {
    const last = i === parts.length - 1;
    if (p === '**') return last ? '.*' : '(?:.*/)?';
    return globPart(p) + (last ? '' : '/');
  }).join('');
  const prefix = anchored ? '^/' : '(?:^|/)';
  return new RegExp(`${prefix}${source}(?:/|$)`, 's');
}

function globPart(part: string): string {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close < 0) throw fail('INVALID_ARGUMENT', `exclude pattern has an unclosed '[': ${JSON.stringify(part)}`);
      const cls = part.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      out += `[${cls}]`;
      i = close;
    } else if (c === '\\' && i + 1 < part.length) out += escapeRe(part[++i]!);
    else out += escapeRe(c);
  }
  return out;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
