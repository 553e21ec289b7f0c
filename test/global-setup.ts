// Tests start the server the way `npm start` runs it: the bundle in dist/. Building it here,
// once per test run, means a test never runs a bundle older than the sources it tests.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function buildServer(): void {
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: resolve(import.meta.dirname, '..'), stdio: 'inherit' });
}
