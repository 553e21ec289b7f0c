// The command line and environment a kernelspec asks for, with Jupyter's substitutions.

import type { KernelSpec } from '../kernelspec/kernelspec';

/** Replaces `{connection_file}` and `{resource_dir}` in the spec's argv. */
export function kernelArgv(spec: KernelSpec, connectionFile: string): string[] {
  return spec.argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', spec.resourceDir));
}

/**
 * The kernel's environment: ours, then the spec's `env` (with `$VAR` and `${VAR}` expanded from
 * ours, leaving unknown names as they are, like Python's Template.safe_substitute), then the
 * caller's. Variables starting with TANDEM_ are not inherited: they configure the server and may
 * hold its token, which code run by a mere runner must not read.
 */
export function kernelEnv(spec: KernelSpec, inherited: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !name.startsWith('TANDEM_')) base[name] = value;
  }
  const fromSpec: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) fromSpec[name] = expand(value, base);
  return { ...base, ...fromSpec, ...extra };
}

function expand(template: string, vars: Record<string, string>): string {
  return template.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(\$))/g, (match, braced, bare, dollar) => {
    if (dollar) return '$';
    const value = vars[(braced ?? bare) as string];
    return value ?? match;
  });
}
