/** What every command gets from the composition root: streams, settings and the repository environment. */
import type { Readable, Writable } from 'node:stream';
import type { RepositoryEnv } from '../repository/context.js';

export interface CliContext {
  readonly stdout: Writable & { isTTY?: boolean; columns?: number };
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  readonly stdin: Readable;
  /** Settings read once by main/ from the environment. */
  readonly settings: {
    readonly repository?: string;
    readonly password?: string;
    readonly passwordFile?: string;
    /** For the commands that talk to a running server (src/cli/api/). */
    readonly server?: string;
    readonly token?: string;
    readonly tokenFile?: string;
  };
  readonly repoEnv: RepositoryEnv;
  readonly readFile: (path: string) => Promise<string>;
  /** Starts the server (wired by main/, which owns the composition) and runs until stopped. */
  readonly serve?: (opts: ServeFlags) => Promise<void>;
  /** A command that finished with partial success (restic's exit 3) sets this. */
  readonly status: { exitCode: number };
}

export interface ServeFlags {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** PEM contents read from --tls-cert and --tls-key. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** `--config FILE`: its server section yields to the flags named in `given`. */
  readonly config?: string;
  /** The flags set on the command line rather than left at their defaults. */
  readonly given?: readonly ('dataDir' | 'host' | 'port')[];
}
