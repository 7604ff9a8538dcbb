/**
 * Storage backends: where a repository's files live. This layer moves whole
 * files by (type, name) and never looks inside them; encryption, packing and
 * hash checks belong to src/repository. It imports only src/common.
 *
 * Glossary (restic doc/design.rst, "Repository Format" and "Repository Layout"):
 *
 * - **Backend**: the contract in backend.ts: create, save, load, stat, list,
 *   remove, hasConfig, close. Every implementation runs the shared suite in
 *   test/backend/conformance.ts.
 * - **File type**: config, key, data, index, snapshot or lock. Each type has a
 *   folder: keys/, data/, index/, snapshots/, locks/; config is one file at the
 *   top.
 * - **Handle**: (type, name). The name is the 64-hex SHA-256 of the stored
 *   bytes, or '' for config.
 * - **Layout**: restic's default layout. Data files sit one level deeper, in
 *   data/<first two hex digits>/, so no folder grows too large.
 * - **Temp file**: `<name>-tmp-<random>`, written beside the final name and
 *   renamed over it, so a file is either complete or absent. Listing skips it
 *   because its name is not an id.
 * - **Wrapper**: a Backend that wraps another to add one behaviour (retry, and
 *   later limit, log, cache) and exposes it through `unwrap()`.
 * - **Transient / permanent**: a catalog error whose code is not `permanent`
 *   (BACKEND_IO) may go away when retried. NOT_FOUND, NO_SPACE and
 *   INVALID_DATA will not.
 */
export type { Backend, CallOptions, FileInfo, FileType, Handle, WrappingBackend } from './backend.js';
export { FILE_TYPES } from './handle.js';
export { localBackend, type LocalOptions } from './local.js';
export { memBackend } from './mem.js';
export { retryBackend, backoffMs, type RetryInfo, type RetryOptions } from './retry.js';
