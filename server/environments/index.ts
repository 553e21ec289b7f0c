// Notebook environments in the server: the service (cache, warm pool, garbage collection) made
// from the settings.

import type { BridgeLogger } from '../../kernel-bridge';
import type { Config } from '../config';
import { projectPath } from '../project-files';
import { EnvironmentService } from './environment-service';
import { createKernelRuntime } from './kernel-runtime';

export { EnvironmentService } from './environment-service';

/** The helper package's source, beside the server in the repository (and in the server image). */
const HELPER_DIR = projectPath('images', 'tandem-helper');

export async function createEnvironmentService(config: Config, logger: BridgeLogger): Promise<EnvironmentService> {
  return new EnvironmentService({
    cacheDir: config.envCacheDir,
    installer: config.envInstaller,
    warmPool: config.warmPool,
    gcMs: config.envGcMs,
    defaultKernel: config.defaultKernel,
    helperDir: HELPER_DIR,
    kernels: await createKernelRuntime(config, logger),
    logger,
  });
}
