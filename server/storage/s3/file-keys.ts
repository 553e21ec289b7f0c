// Where the files of a mirrored directory live in the bucket (s3-file-mirror.ts):
//
//   files/{path}             a file of the root, under its own name (files/team/analysis.ipynb)
//   files/{folder}/.folder   an empty marker that keeps a folder made in Tandem
//   state/{path}             a durable file of the state directory (state/file-ids.json, ...)
//
// Other tools (aws s3 cp, a pipeline) find and change a file where they expect it. Names that
// start with a dot are never the contents API's, so a marker cannot collide with a file. A key is
// never also a prefix followed by '/': a local directory cannot hold a file and a folder of one
// name either, which is what S3-compatible servers with a filesystem underneath need.

import { invalid } from '../../errors';

export const FOLDER_MARKER = '.folder';
/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
// Control characters do not survive an XML listing on every S3-compatible server.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The folder a marker key keeps ('' for the top), or undefined when the key is not a marker. */
export function folderOfMarker(rel: string): string | undefined {
  if (rel === FOLDER_MARKER) return '';
  return rel.endsWith(`/${FOLDER_MARKER}`) ? rel.slice(0, -FOLDER_MARKER.length - 1) : undefined;
}

/**
 * Whether a relative path (from a key another tool may have written) may become a local path:
 * no empty, hidden (so no `..`), backslashed or control-character segment.
 */
export function isSafePath(rel: string): boolean {
  return !rel.split('/').some((segment) => segment === '' || segment.startsWith('.') || segment.includes('\\') || CONTROL.test(segment));
}

/** Throws a clear `invalid` error when a path cannot be a key under this prefix (with room for a folder marker). */
export function assertStorable(fullPrefix: string, rel: string): void {
  if (CONTROL.test(rel)) throw invalid('File and folder names cannot hold control characters');
  if (Buffer.byteLength(`${fullPrefix}${rel}/${FOLDER_MARKER}`) > MAX_KEY_BYTES) {
    throw invalid(`The path is too long for the bucket (at most about ${MAX_KEY_BYTES} bytes)`);
  }
}
