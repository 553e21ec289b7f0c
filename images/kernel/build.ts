// Builds the kernel image over a Python base image, exactly as `tandem serve --runtime
// container --kernel-base-image BASE` would on first use, and prints its tag. Cached: an image
// with that tag (a hash of the base's reference and the kernel image's sources) is reused.
//
//   npx tsx images/kernel/build.ts --base "$(npm run --silent images:local-base | tail -1)"

import { parseArgs } from 'node:util';
import { ContainerEnvironments, Podman } from '../../kernel-bridge/containers';
import { projectPath } from '../../server/project-files';

const { values } = parseArgs({ options: { base: { type: 'string', default: 'docker.io/library/python:3.11-slim-bookworm' } } });

async function main(): Promise<void> {
  const environments = new ContainerEnvironments({
    podman: new Podman(),
    baseImage: values.base!,
    kernel: {
      dockerfile: projectPath('images', 'kernel', 'Dockerfile'),
      requirements: projectPath('images', 'kernel', 'requirements.txt'),
      helperDir: projectPath('images', 'tandem-helper'),
    },
    environmentDockerfile: projectPath('images', 'environment', 'Dockerfile'),
  });
  const plan = await environments.resolve(undefined);
  await environments.ensure(plan, (progress) => {
    if (progress.line) process.stderr.write(`${progress.line}\n`);
  });
  process.stdout.write(`${plan.image}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
