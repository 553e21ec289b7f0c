// Environments' public surface: read and normalise a notebook's specification, resolve it to a
// content-addressed environment, build it once (with progress), and run kernels in it, taking
// ready ones from the warm pool when they fit.

export type { BuildProgress } from './build-progress';
export type { BuildPlan } from './environment-build';
export { type EnvironmentInputs, environmentId } from './environment-id';
export { EnvironmentRuntime, type LaunchedInfo, type LaunchPlan, poolKey } from './environment-runtime';
export { Environments } from './environments';
export { NoInterpreter } from './interpreter';
export { defaultPythonKernelSpec, environmentKernelSpec, pythonOfKernelSpec } from './kernel-spec';
export { InvalidEnvironmentSpec, type NormalisedSpec, normaliseEnvironmentSpec, readEnvironmentSpec } from './spec';
export type { InstallerMode } from './uv-tool';
export { type PoolStatus, type PoolTarget, WarmPool } from './warm-pool';
