// An environment image is built from a notebook's specification and tagged with the same kind
// of content hash as local environments. No Docker daemon is needed to check what goes into
// the build context.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { environmentId, normaliseEnvironmentSpec } from '../../kernel-bridge/environments';
import { prepareImageBuild } from '../../kernel-bridge/environments/image-context';
import { removeRoot, tempRoot } from '../helpers/tandem';
import { buildWheel } from './wheels';

const DOCKERFILE = join(import.meta.dirname, '../../images/environment/Dockerfile');
let dir: string;
const made: string[] = [];

function notebook(name: string, environment: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { tandem: { environment } }, cells: [] }));
  return file;
}

beforeAll(() => {
  dir = tempRoot('tandem-image-');
  mkdirSync(join(dir, 'wheels'));
  buildWheel(join(dir, 'wheels'), 'image-pkg', '1.0.0');
});
afterAll(() => {
  for (const context of made) removeRoot(context);
  removeRoot(dir);
});

test("an environment image's context holds the notebook's requirements and its local wheels, and its tag is the environment id", async () => {
  const environment = { requirements: ['Image_Pkg==1.0.0', 'requests>=2', '--find-links ./wheels', '--extra-index-url https://example.org/simple'] };
  const build = await prepareImageBuild(notebook('a.ipynb', environment), { base: 'tandem-kernel:py3.11', dockerfile: DOCKERFILE });
  made.push(build.contextDir);

  const spec = normaliseEnvironmentSpec(environment, dir);
  const id = environmentId({
    base: { kind: 'image', image: 'tandem-kernel:py3.11' },
    requirements: spec.requirements,
    index: spec.index,
    installsKernel: false,
    helper: null,
  });
  expect(build).toMatchObject({ environmentId: id, image: `tandem-env:${id}` });
  expect(readFileSync(join(build.contextDir, 'requirements.txt'), 'utf8')).toBe(
    '--extra-index-url https://example.org/simple\n--find-links /opt/tandem/find-links/0\nimage-pkg==1.0.0\nrequests>=2\n',
  );
  expect(existsSync(join(build.contextDir, 'find-links', '0', 'image_pkg-1.0.0-py3-none-any.whl'))).toBe(true);
  expect(readFileSync(join(build.contextDir, 'Dockerfile'), 'utf8')).toContain('ARG BASE=');
  expect(build.dockerArgs).toEqual(expect.arrayContaining(['--build-arg', 'BASE=tandem-kernel:py3.11', '--tag', `tandem-env:${id}`]));

  // Another base is another environment.
  const other = await prepareImageBuild(notebook('b.ipynb', environment), { base: 'tandem-kernel:py3.12', dockerfile: DOCKERFILE });
  made.push(other.contextDir);
  expect(other.environmentId).not.toBe(id);
});

test('a notebook without an environment, or one asking for a Python version, is refused with the reason', async () => {
  const plain = join(dir, 'plain.ipynb');
  writeFileSync(plain, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }));
  await expect(prepareImageBuild(plain, { base: 'b', dockerfile: DOCKERFILE })).rejects.toThrow('declares no environment');
  await expect(prepareImageBuild(notebook('p.ipynb', { requirements: [], python: '3.12' }), { base: 'b', dockerfile: DOCKERFILE })).rejects.toThrow(
    'choose a base image',
  );
});
