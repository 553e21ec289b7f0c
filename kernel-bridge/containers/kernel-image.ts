// The kernel image (images/kernel/Dockerfile) over a Python base image: ipykernel, pandas,
// pyarrow and the helper package. Its tag is a hash of the base's reference and of everything
// copied into it, so a changed helper or requirement gives a new image, and environment images
// (whose ids hash the kernel image's tag) are rebuilt over it.

import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KernelImageSources {
  /** images/kernel/Dockerfile */
  dockerfile: string;
  /** images/kernel/requirements.txt */
  requirements: string;
  /** images/tandem-helper */
  helperDir: string;
}

export interface KernelImageContext {
  tag: string;
  contextDir: string;
  buildArgs: Record<string, string>;
}

const SKIP = /(^|\/)(__pycache__|build|dist|\.git|[^/]*\.egg-info)(\/|$)|\.pyc$/;
const REPOSITORY = 'localhost/tandem-kernel';

/** Writes the context the Dockerfile expects (paths as in the repository) and names the image. */
export async function prepareKernelImage(base: string, sources: KernelImageSources): Promise<KernelImageContext> {
  const contextDir = await mkdtemp(path.join(tmpdir(), 'tandem-kernel-image-'));
  await mkdir(path.join(contextDir, 'images', 'kernel'), { recursive: true });
  await cp(sources.requirements, path.join(contextDir, 'images', 'kernel', 'requirements.txt'));
  await cp(sources.helperDir, path.join(contextDir, 'images', 'tandem-helper'), {
    recursive: true,
    filter: (from) => !SKIP.test(path.relative(sources.helperDir, from)),
  });
  const hash = createHash('sha256')
    .update(base)
    .update('\0')
    .update(await readFile(sources.dockerfile));
  for (const file of await listFiles(contextDir))
    hash
      .update('\0')
      .update(file)
      .update('\0')
      .update(await readFile(path.join(contextDir, file)));
  return { tag: `${REPOSITORY}:${hash.digest('hex').slice(0, 16)}`, contextDir, buildArgs: { BASE_IMAGE: base } };
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(path.join(root, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}
