// Environments' public surface: read and normalise a notebook's specification, resolve it to a
// content-addressed environment, build it once (with progress), and run kernels in it, taking
// ready ones from the warm pool when they fit.

export { type BuildProgress } from './build-progress';
export { type BuiltEnvironment, type ProgressListener } from './env-cache';
export { type BuildPlan, EnvironmentBuildFailed, type EnvironmentManifest } from './environment-build';
export { environmentId, type EnvironmentBase, type EnvironmentInputs } from './environment-id';
export { EnvironmentRuntime, type LaunchedInfo, type LaunchPlan } from './environment-runtime';
export { Environments, type EnvironmentRequest, type EnvironmentsOptions } from './environments';
export { NoInterpreter, type Interpreter } from './interpreter';
export { defaultPythonKernelSpec, environmentKernelSpec, pythonOfKernelSpec } from './kernel-spec';
export {
  type EnvironmentSpec,
  type IndexOptions,
  InvalidEnvironmentSpec,
  type NormalisedSpec,
  normaliseEnvironmentSpec,
  readEnvironmentSpec,
} from './spec';
export { type InstallerMode } from './uv-tool';
export { type PoolStatus, type PoolTarget, WarmPool } from './warm-pool';
