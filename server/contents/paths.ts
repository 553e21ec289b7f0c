// Maps contents-API paths to files under the root, and refuses anything that would leave
// it: `..` segments, absolute paths, symlinks pointing outside, and hidden files (which
// include Tandem's own state directory).

import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { invalid as badRequest, notFound } from '../errors';

export interface ResolvedPath {
  /** Normalised API path: no leading or trailing slash; '' is the root. */
  apiPath: string;
  absolute: string;
}

/** What file systems allow for one name (NAME_MAX). */
const MAX_NAME_BYTES = 255;

/** Normalises an API path (already URL-decoded), refusing traversal and hidden segments. */
export function normaliseApiPath(path: string): string {
  if (path.includes('\0')) throw badRequest('The path contains a NUL byte');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  for (const segment of segments) {
    if (segment === '..') throw badRequest('Paths may not leave the notebook root');
    if (segment.startsWith('.')) throw notFound(`No such file or directory: ${path}`);
    if (segment.includes('\\')) throw badRequest('Paths use forward slashes');
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) throw badRequest(`A file or folder name may be at most ${MAX_NAME_BYTES} bytes long`);
  }
  return segments.join('/');
}

export class RootPaths {
  readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(resolve(root));
  }

  resolve(raw: string): ResolvedPath {
    const apiPath = normaliseApiPath(raw);
    const absolute = join(this.root, ...apiPath.split('/').filter(Boolean));
    this.assertInside(absolute);
    return { apiPath, absolute };
  }

  /** Follows symlinks of whatever exists along the path and checks it stays in the root. */
  private assertInside(absolute: string): void {
    let probe = absolute;
    for (;;) {
      try {
        const real = realpathSync(probe);
        const rel = relative(this.root, real);
        if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
          throw badRequest('Paths may not leave the notebook root');
        }
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENAMETOOLONG') throw badRequest('The path is too long');
        if (code !== 'ENOENT') throw error;
        const parent = resolve(probe, '..');
        if (parent === probe) return;
        probe = parent;
      }
    }
  }
}
