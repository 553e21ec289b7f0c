// Kernelspecs and environments: which Python an installed kernelspec runs (an environment is
// layered over it), and the kernelspec that runs ipykernel inside a built environment.

import type { KernelSpec } from '../kernelspec/kernelspec';
import type { BuiltEnvironment } from './env-cache';

/**
 * The interpreter an ipykernel kernelspec runs ("python3 -m ipykernel_launcher -f …"), or
 * undefined for any other kernel (R, Julia, a wrapper script): no environment can be layered on it.
 */
export function pythonOfKernelSpec(spec: KernelSpec): string | undefined {
  const [command, ...args] = spec.argv;
  const module = args.indexOf('-m');
  const launches = module !== -1 && ['ipykernel_launcher', 'ipykernel'].includes(args[module + 1] ?? '');
  return launches && /(^|\/)python[0-9.]*$/.test(command) ? command : undefined;
}

/** A spec for the kernelspec's name to show, with everything else taken from the default Python kernel. */
export function defaultPythonKernelSpec(name = 'python3'): KernelSpec {
  return {
    name,
    resourceDir: '',
    argv: ['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    displayName: 'Python 3 (ipykernel)',
    language: 'python',
    interruptMode: 'signal',
    env: {},
    metadata: {},
  };
}

/** Runs ipykernel with the environment's python; name, display name and env come from `like`. */
export function environmentKernelSpec(environment: BuiltEnvironment, like: KernelSpec): KernelSpec {
  return {
    ...like,
    resourceDir: like.resourceDir || environment.dir,
    argv: [environment.python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    language: 'python',
    interruptMode: 'signal',
  };
}
