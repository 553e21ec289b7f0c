// Builds the environment image for a notebook, tagged with its environment id, unless an image
// with that tag exists already (building is a separate, cached step):
//
//   npx tsx images/environment/build.ts NOTEBOOK.ipynb [--base tandem-kernel:py3.11] [--repository tandem-env] [--dry-run]
//
// It prints the image reference on stdout. --dry-run prepares the build context and prints the
// docker command instead of running it.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareImageBuild } from '../../kernel-bridge/environments/image-context';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: 'string', default: 'tandem-kernel:py3.11' },
    repository: { type: 'string', default: 'tandem-env' },
    'dry-run': { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  const notebook = positionals[0];
  if (!notebook || positionals.length > 1) {
    process.stderr.write('Usage: build.ts NOTEBOOK.ipynb [--base IMAGE] [--repository NAME] [--dry-run]\n');
    return 2;
  }
  const build = await prepareImageBuild(notebook, {
    base: values.base!,
    repository: values.repository,
    dockerfile: fileURLToPath(new URL('./Dockerfile', import.meta.url)),
  });
  process.stderr.write(`environment ${build.environmentId}; build context ${build.contextDir}\n`);
  if (values['dry-run']) {
    process.stderr.write(`docker ${build.dockerArgs.join(' ')}\n`);
  } else if (spawnSync('docker', ['image', 'inspect', build.image], { stdio: 'ignore' }).status === 0) {
    process.stderr.write(`${build.image} is already built\n`);
    rmSync(build.contextDir, { recursive: true, force: true });
  } else {
    const result = spawnSync('docker', build.dockerArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    rmSync(build.contextDir, { recursive: true, force: true });
    if (result.status !== 0) return result.status ?? 1;
  }
  process.stdout.write(`${build.image}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
