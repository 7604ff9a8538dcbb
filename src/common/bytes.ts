/** Byte-buffer helpers for moving data between threads. */

/** Whether b spans its whole ArrayBuffer, so transferring it moves nothing else. */
export function ownsBuffer(b: Uint8Array): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
}

/** b itself if it owns its ArrayBuffer, else a copy that does (safe to transfer). */
export function transferable(b: Uint8Array): Uint8Array {
  return ownsBuffer(b) ? b : new Uint8Array(b);
}
