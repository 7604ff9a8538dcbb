/**
 * Work a pack worker does off the main thread: decrypt, decompress and
 * verify the blobs of one loaded pack range (restore, check --read-data).
 */
export interface PackWorkerInit {
  readonly key: { readonly encrypt: Uint8Array; readonly macK: Uint8Array; readonly macR: Uint8Array };
}

export interface BlobInRange {
  readonly type: 'data' | 'tree';
  readonly id: string;
  /** Offset of the sealed blob inside the loaded range. */
  readonly offset: number;
  readonly length: number;
  readonly uncompressedLength?: number;
}

export interface OpenBlobsTask {
  readonly kind: 'open-blobs';
  readonly job: number;
  readonly data: Uint8Array;
  readonly blobs: readonly BlobInRange[];
  /** Return plaintexts (restore) or only verify them (check). */
  readonly keepPlaintext: boolean;
}

export interface VerifyPackTask {
  readonly kind: 'verify-pack';
  readonly job: number;
  readonly packId: string;
  /** The whole pack file. */
  readonly data: Uint8Array;
}

export type PackTask = OpenBlobsTask | VerifyPackTask;

export interface OpenedBlob {
  readonly id: string;
  readonly plaintext?: Uint8Array;
  readonly error?: string;
}

export interface VerifiedPack {
  readonly hashOk: boolean;
  /** Blobs as the pack's own header lists them, or the header error. */
  readonly header?: readonly { type: 'data' | 'tree'; id: string; offset: number; length: number; uncompressedLength?: number }[];
  readonly headerError?: string;
  readonly blobErrors: readonly { id: string; error: string }[];
}

export type PackResult =
  | { readonly kind: 'opened'; readonly job: number; readonly blobs: readonly OpenedBlob[] }
  | { readonly kind: 'verified'; readonly job: number; readonly result: VerifiedPack }
  | { readonly kind: 'error'; readonly job: number; readonly message: string };
