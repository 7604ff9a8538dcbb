/**
 * File modes: restic stores Go's os.FileMode (type bits at the top of a
 * uint32), not the Unix st_mode the kernel reports. This converts between the
 * two the way Go's os.Lstat (fillFileStatFromSys) and os.Chmod (syscallMode) do.
 */

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular';

const S_IFMT = 0o170000;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

// Go os.FileMode bits (io/fs): the type bits count down from bit 31.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_DEVICE = 2 ** 26;
const MODE_NAMED_PIPE = 2 ** 25;
const MODE_SOCKET = 2 ** 24;
const MODE_SETUID = 2 ** 23;
const MODE_SETGID = 2 ** 22;
const MODE_CHAR_DEVICE = 2 ** 21;
const MODE_STICKY = 2 ** 20;
const MODE_PERM = 0o777;

interface UnixKind {
  readonly type: NodeType;
  readonly goBits: number;
}

const KINDS: ReadonlyMap<number, UnixKind> = new Map([
  [0o100000, { type: 'file', goBits: 0 }],
  [0o040000, { type: 'dir', goBits: MODE_DIR }],
  [0o120000, { type: 'symlink', goBits: MODE_SYMLINK }],
  [0o060000, { type: 'dev', goBits: MODE_DEVICE }],
  [0o020000, { type: 'chardev', goBits: MODE_DEVICE + MODE_CHAR_DEVICE }],
  [0o010000, { type: 'fifo', goBits: MODE_NAMED_PIPE }],
  [0o140000, { type: 'socket', goBits: MODE_SOCKET }],
]);

export function nodeTypeFromUnixMode(stMode: number): NodeType {
  return KINDS.get(stMode & S_IFMT)?.type ?? 'irregular';
}

/**
 * The Go FileMode for a Unix st_mode, as an unsigned 32-bit number (a
 * directory 0755 is 2147484141). An unknown file type gets no type bits, as in Go.
 */
export function goModeFromUnix(stMode: number): number {
  let mode = (stMode & MODE_PERM) + (KINDS.get(stMode & S_IFMT)?.goBits ?? 0);
  if (stMode & S_ISUID) mode += MODE_SETUID;
  if (stMode & S_ISGID) mode += MODE_SETGID;
  if (stMode & S_ISVTX) mode += MODE_STICKY;
  return mode >>> 0;
}

/** The chmod argument for a Go FileMode: permissions plus setuid/setgid/sticky as Unix bits. */
export function unixPermFromGo(goMode: number): number {
  let perm = goMode & MODE_PERM;
  if (goMode & MODE_SETUID) perm |= S_ISUID;
  if (goMode & MODE_SETGID) perm |= S_ISGID;
  if (goMode & MODE_STICKY) perm |= S_ISVTX;
  return perm;
}
