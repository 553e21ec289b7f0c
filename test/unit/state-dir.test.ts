import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { defaultStateDir, loadConfig } from '../../server/config';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tandem-state-dir-'));
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

test('by default a root keeps its state outside itself, one folder per root', () => {
  const env = { XDG_STATE_HOME: join(base, 'state') };
  const a = defaultStateDir(join(base, 'notebooks'), env);
  const b = defaultStateDir(join(base, 'other', 'notebooks'), env);
  expect(a.startsWith(join(base, 'state', 'tandem', 'notebooks-'))).toBe(true);
  expect(b).not.toBe(a);
  expect(defaultStateDir(join(base, 'notebooks'), env)).toBe(a);
  const config = loadConfig(['--root', join(base, 'notebooks')], env, false);
  expect(config.stateDir).toBe(a);
  expect(config.envCacheDir).toBe(join(a, 'envs'));
  expect(config.stateDir.startsWith(config.root)).toBe(false);
});

test('a root that has ROOT/.tandem from before goes on using it; --state-dir wins over both', () => {
  const root = join(base, 'old');
  mkdirSync(join(root, '.tandem'), { recursive: true });
  const env = { XDG_STATE_HOME: join(base, 'state') };
  expect(loadConfig(['--root', root], env, false).stateDir).toBe(join(root, '.tandem'));
  expect(loadConfig(['--root', root, '--state-dir', join(base, 'chosen')], env, false).stateDir).toBe(join(base, 'chosen'));
});
