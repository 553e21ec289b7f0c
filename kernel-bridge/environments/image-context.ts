// The docker build context for a notebook's environment image (images/environment): the
// Dockerfile, a requirements file with the notebook's requirements and index options, and
// copies of local --find-links folders (a build cannot read the host's disk). The image is
// tagged with the environment's id, computed by the same function that names local
// environments, over the kernel base image instead of a local interpreter.

import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { environmentId } from './environment-id';
import { InvalidEnvironmentSpec, type NormalisedSpec, normaliseEnvironmentSpec, readEnvironmentSpec } from './spec';

export interface ImageBuildOptions {
  /** The kernel base image; use a versioned tag or a digest, since its reference is hashed. */
  base: string;
  /** Repository of environment images; the tag is the environment id. Default tandem-env. */
  repository?: string;
  /** images/environment/Dockerfile */
  dockerfile: string;
}

export interface ImageBuild {
  environmentId: string;
  /** repository:id */
  image: string;
  contextDir: string;
  /** Arguments for `docker build`. */
  dockerArgs: string[];
}

export class NoEnvironmentDeclared extends Error {
  constructor(notebook: string) {
    super(`${notebook} declares no environment (metadata.tandem.environment): its kernels use the base image as it is`);
    this.name = 'NoEnvironmentDeclared';
  }
}

const IN_IMAGE = '/opt/tandem/find-links';

export async function prepareImageBuild(notebookPath: string, options: ImageBuildOptions): Promise<ImageBuild> {
  const notebook = JSON.parse(await readFile(notebookPath, 'utf8')) as { metadata?: { tandem?: { environment?: unknown } } };
  const raw = notebook.metadata?.tandem?.environment;
  if (raw === undefined || raw === null) throw new NoEnvironmentDeclared(notebookPath);
  const spec = normaliseEnvironmentSpec(readEnvironmentSpec(raw), path.dirname(path.resolve(notebookPath)));
  return prepareSpecImageBuild(spec, options);
}

/** The id an environment image for `spec` over `base` is tagged with; throws for what an image cannot honour. */
export function imageEnvironmentId(spec: NormalisedSpec, base: string): string {
  if (spec.python !== undefined || spec.kernel !== undefined) {
    // The base image decides both; say so rather than build something else silently.
    throw new InvalidEnvironmentSpec('"python" and "kernel" cannot be honoured in an image build: choose a base image (--base) with that Python instead');
  }
  return environmentId({ base: { kind: 'image', image: base }, requirements: spec.requirements, index: spec.index, installsKernel: false, helper: null });
}

/** Writes the build context for `spec`'s environment image (see prepareImageBuild). */
export async function prepareSpecImageBuild(spec: NormalisedSpec, options: ImageBuildOptions): Promise<ImageBuild> {
  const id = imageEnvironmentId(spec, options.base);

  const contextDir = await mkdtemp(path.join(tmpdir(), `tandem-env-image-${id}-`));
  await mkdir(path.join(contextDir, 'find-links'));
  const lines: string[] = [];
  if (spec.index.indexUrl) lines.push(`--index-url ${spec.index.indexUrl}`);
  for (const url of spec.index.extraIndexUrls) lines.push(`--extra-index-url ${url}`);
  let copied = 0;
  for (const where of spec.index.findLinks) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where)) {
      lines.push(`--find-links ${where}`);
      continue;
    }
    const name = String(copied++);
    await cp(where, path.join(contextDir, 'find-links', name), { recursive: true });
    lines.push(`--find-links ${IN_IMAGE}/${name}`);
  }
  if (spec.index.noIndex) lines.push('--no-index');
  lines.push(...spec.requirements);
  await writeFile(path.join(contextDir, 'requirements.txt'), `${lines.join('\n')}\n`);
  await cp(options.dockerfile, path.join(contextDir, 'Dockerfile'));

  const image = `${options.repository ?? 'tandem-env'}:${id}`;
  return {
    environmentId: id,
    image,
    contextDir,
    dockerArgs: ['build', '--build-arg', `BASE=${options.base}`, '--build-arg', `ENVIRONMENT_ID=${id}`, '--tag', image, contextDir],
  };
}
