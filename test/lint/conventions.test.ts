/**
 * House rules that a compiler does not check (STYLE.md): time, randomness and
 * the environment are injected; errors come from the catalog; files stay small.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../../..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const files = sourceFiles(src).map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }));
const injectedOnlyIn = /^src\/(common|main)\//;

function offenders(pattern: RegExp, allowed: RegExp = injectedOnlyIn): string[] {
  return files.filter((f) => !allowed.test(f.path) && pattern.test(stripComments(f.text))).map((f) => f.path);
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

describe('conventions', () => {
  it('finds the sources', () => assert.ok(files.length > 30));
  it('reads time only through the injected clock', () => assert.deepEqual(offenders(/\bDate\.now\(|new Date\(\)/), []));
  it('draws randomness only through the injected source', () => assert.deepEqual(offenders(/\bMath\.random\(/), []));
  it('reads the environment only in common/ and main/', () => assert.deepEqual(offenders(/\bprocess\.env\b/), []));
  it('raises errors only from the catalog', () => assert.deepEqual(offenders(/\bnew (Type|Range)?Error\(/, /^src\/common\//), []));
  it('keeps every file under 500 lines', () => {
    assert.deepEqual(files.filter((f) => f.text.split('\n').length > 500).map((f) => f.path), []);
  });
  it('opens every file with a doc comment', () => {
    assert.deepEqual(files.filter((f) => !/^(\/\*\*|\/\/|#!)/.test(f.text.trimStart())).map((f) => f.path), []);
  });
});
