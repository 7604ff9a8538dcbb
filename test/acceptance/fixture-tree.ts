/**
 * The source tree the interoperability tests back up: names that trip
 * quoting and encoding (a quote, a backslash, a newline, a tab, a byte that
 * is not UTF-8, é, an emoji, a leading dash, spaces), symlinks (relative,
 * absolute, dangling, with a non-UTF-8 target), hardlinks, an empty file and
 * folder, deep nesting, explicit modes and fractional mtimes, a sparse file
 * and one large file of deterministic data that is random in most places
 * and compressible or zero in others.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { link, lutimes, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface FixtureOptions {
  /** Size of big.bin, the file that spans many chunks and packs. */
  readonly bigFileBytes: number;
  /** Apparent size of the sparse file (only a few bytes are written). */
  readonly sparseBytes: number;
  readonly seed: string;
}

const MiB = 1 << 20;

/** Names that each break a naive encoder somewhere; created with Buffer paths. */
export const AWKWARD_NAMES: readonly Buffer[] = [
  'double"quote', 'back\\slash', 'new\nline', 'tab\tname', 'caf\u00e9', 'e\u0301-decomposed', 'emoji-\u{1F600}',
  '-leading-dash', '--', 'with spaces  and trailing ', ' leading space', 'semi;colon&amp*?[x]',
].map((s) => Buffer.from(s)).concat([Buffer.from([0x6e, 0x6f, 0x74, 0x2d, 0xff, 0x2d, 0x75, 0x74, 0x66, 0x38])]);

const NOT_UTF8_DIR = Buffer.from([0x64, 0x69, 0x72, 0xfe, 0xff]);

function at(root: string, ...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.flatMap((p, i) => [Buffer.from(i === 0 ? `${root}/` : '/'), Buffer.from(p)]));
}

/** Builds the fixture under root (which must not exist yet). */
export async function buildFixtureTree(root: string, opts: FixtureOptions): Promise<void> {
  await mkdir(root, { recursive: true });
  await makeNames(root);
  await makeModes(root);
  await makeLinks(root);
  await makeShapes(root, opts);
  await writePatternFile(join(root, 'data', 'big.bin'), opts.bigFileBytes, opts.seed);
  await writePatternFile(join(root, 'data', 'odd-size.bin'), 3 * MiB + 777, `${opts.seed}/odd`);
  await setDirTimes(root);
}

async function makeNames(root: string): Promise<void> {
  await mkdir(at(root, 'names'));
  for (const [i, name] of AWKWARD_NAMES.entries()) await writeFile(at(root, 'names', name), `file number ${i}\n`);
  await mkdir(at(root, 'names', NOT_UTF8_DIR));
  await writeFile(at(root, 'names', NOT_UTF8_DIR, 'inside'), 'in a folder whose name is not UTF-8\n');
  await mkdir(at(root, 'names', 'dir "with" \\ and\nnewline'));
  await writeFile(at(root, 'names', 'dir "with" \\ and\nnewline', '\u00e9\u{1F680}'), 'nested awkward\n');
  await utimes(at(root, 'names', 'caf\u00e9'), 1_700_000_000, 1_700_000_000.999999);
}

async function makeModes(root: string): Promise<void> {
  const dir = join(root, 'modes');
  await mkdir(dir);
  const files: [string, number, number][] = [
    ['m600', 0o600, 1_600_000_000.123456], ['m755', 0o755, 1_234_567_890.5], ['m640', 0o640, 946_684_800.000001], ['future', 0o644, 4_102_444_800.25],
  ];
  for (const [name, mode, mtime] of files) {
    await writeFile(join(dir, name), `mode ${mode.toString(8)}\n`, { mode });
    const fh = await open(join(dir, name), 'r');
    await fh.chmod(mode); // writeFile's mode is filtered by the umask
    await fh.close();
    await utimes(join(dir, name), 1_000_000_000, mtime);
  }
  await mkdir(join(dir, 'd750'));
  const d = await open(join(dir, 'd750'), 'r');
  await d.chmod(0o750);
  await d.close();
}

async function makeLinks(root: string): Promise<void> {
  const dir = join(root, 'links');
  await mkdir(dir);
  await symlink('../names/caf\u00e9', join(dir, 'relative'));
  await symlink(join(root, 'modes', 'm640'), join(dir, 'absolute'));
  await symlink('../no/such/target', join(dir, 'dangling'));
  await symlink(Buffer.from([0x2e, 0x2e, 0x2f, 0xff, 0xfe]), join(dir, 'target-not-utf8'));
  await lutimes(join(dir, 'relative'), 1_000_000_000, 1_555_555_555.555555);
  await mkdir(join(root, 'hard'));
  await writeFile(join(root, 'hard', 'original'), 'one file, three names\n');
  await link(join(root, 'hard', 'original'), join(root, 'hard', 'second-name'));
  await mkdir(join(root, 'hard', 'elsewhere'));
  await link(join(root, 'hard', 'original'), join(root, 'hard', 'elsewhere', 'third-name'));
}

async function makeShapes(root: string, opts: FixtureOptions): Promise<void> {
  await mkdir(join(root, 'data'));
  await writeFile(join(root, 'data', 'empty-file'), '');
  await mkdir(join(root, 'empty-dir'));
  const deep = join(root, 'nested', 'a', 'b', 'c', 'd', 'e');
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'deep.txt'), 'deep down\n');
  await writeFile(join(root, 'nested', 'a', 'b', 'mid.txt'), 'middle\n');
  const fh = await open(join(root, 'data', 'sparse.img'), 'w');
  await fh.truncate(opts.sparseBytes);
  await fh.write(Buffer.from('a few bytes in the middle of a hole'), 0, undefined, Math.floor(opts.sparseBytes / 2) + 4321);
  await fh.write(Buffer.from('and some near the end'), 0, undefined, opts.sparseBytes - 1000);
  await fh.close();
}

/** Directory times go on last: creating anything inside a folder moves its mtime. */
async function setDirTimes(root: string): Promise<void> {
  await utimes(join(root, 'nested', 'a', 'b'), 1_000_000_000, 1_500_000_000.654321);
  await utimes(join(root, 'empty-dir'), 1_000_000_000, 1_400_000_000.1);
  await utimes(join(root, 'nested', 'a', 'b', 'c', 'd', 'e'), 1_000_000_000, 1_300_000_000.000002);
}

/**
 * Deterministic content, fast: AES-CTR keystream (incompressible) per MiB,
 * with every 8th MiB all zero, every 8th half zero and every 8th repetitive
 * text, so compression and zero-run handling both get exercised.
 */
export async function writePatternFile(path: string, bytes: number, seed: string): Promise<void> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  const fh = await open(path, 'w');
  try {
    for (let i = 0, done = 0; done < bytes; i++) {
      const block = patternBlock(i, cipher.update(zeros), seed);
      const n = Math.min(block.length, bytes - done);
      await fh.write(block, 0, n);
      done += n;
    }
  } finally {
    await fh.close();
  }
}

function patternBlock(i: number, random: Buffer, seed: string): Buffer {
  switch (i % 8) {
    case 3: return Buffer.alloc(MiB);
    case 5: return Buffer.concat([random.subarray(0, MiB / 2), Buffer.alloc(MiB / 2)]);
    case 6: {
      const line = `${seed}: line of block ${i}, compressible text\n`;
      return Buffer.from(line.repeat(Math.ceil(MiB / line.length))).subarray(0, MiB);
    }
    default: return random;
  }
}
