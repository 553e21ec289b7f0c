// Every way of starting the server passes Node the same V8 flags as the tests and the bench do
// (bench/lib/bundle.ts says why), so what is measured is what users run.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { TANDEM_NODE_FLAGS } from '../../bench/lib/bundle.js';

const REPO = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

test('npm start, the server image and the Kubernetes manifest start Node with the flags the tests and the bench use', () => {
  const start = JSON.parse(read('package.json')).scripts.start as string;
  const command = read('images/server/Dockerfile')
    .split('\n')
    .find((line) => line.startsWith('CMD '))!;
  const manifest = read('deploy/kubernetes/tandem.yaml');
  expect(TANDEM_NODE_FLAGS.length).toBeGreaterThan(0);
  for (const flag of TANDEM_NODE_FLAGS) {
    expect(start).toMatch(new RegExp(`node ${flag} dist/server/cli\\.mjs serve`));
    expect(JSON.parse(command.slice(4))).toContain(flag);
    expect(manifest).toContain(`- ${flag}\n`);
  }
});
