// Files that ship beside the code (nbformat schemas, the Welcome notebook, the built client,
// the Python helper package, the demo database's process) are found from the project's root.
// The server runs from its bundle in dist/ (`npm start`) or from its TypeScript sources (tsx),
// and the same paths must hold in both, so none of them is relative to the module asking.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'tandem') return dir;
    if (dirname(dir) === dir) throw new Error(`Tandem's package.json is not above ${from}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the project, given from its root. */
export function projectPath(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}

/** True when this code runs from the bundle that `npm run build` writes, not from sources. */
export const RUNNING_FROM_BUNDLE = import.meta.url.endsWith('.mjs');
