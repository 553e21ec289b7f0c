// Node servers in the benchmarks run as plain JavaScript, as they would in production, so no
// server pays for the tsx loader (about 30–50 MB of resident memory and its start-up time).
// Tandem runs the bundle `npm run build:server` writes, the one `npm start` runs; the
// TypeScript peers (Hocuspocus's main, the floor) are bundled here the same way.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';
import { REPO, WORK } from '../servers/paths.js';

export const TANDEM_BUNDLE = join(REPO, 'dist', 'server', 'cli.mjs');

/** Builds Tandem's server bundle from the sources; entry points call it once, before any server starts. */
export function buildTandem(): void {
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: REPO, stdio: 'inherit' });
}

/** A TypeScript entry bundled into one ES module (its packages stay in node_modules); returns its path. */
export function bundledPeer(entry: string): string {
  const dir = join(WORK, 'bundles');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, basename(entry).replace(/\.ts$/, '.mjs'));
  const temporary = `${outfile}.${process.pid}.tmp.mjs`;
  buildSync({
    entryPoints: [entry],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  renameSync(temporary, outfile);
  return outfile;
}
