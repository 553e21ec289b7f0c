// A kernel pod's memory and CPU: the server's default, or what a notebook asks for
// (metadata.tandem.resources) within the server's maximum. Sizes are written as for the
// container runtime (512m, 2g; binary units, so 1g is 1 GiB) or as Kubernetes writes them
// (512Mi, 2Gi); CPUs as a number of cores (0.5, 2) or millicores (500m).

import { KernelLaunchError } from '../runtimes/runtime';

export interface KernelResources {
  memoryBytes: number;
  cpuMillis: number;
}

export interface ResourcePolicy {
  defaults: KernelResources;
  max: KernelResources;
}

/** What a notebook asked for, as found in its metadata: checked here, never trusted. */
export type ResourceRequest = unknown;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, ki: 2 ** 10, m: 2 ** 20, mi: 2 ** 20, g: 2 ** 30, gi: 2 ** 30, t: 2 ** 40, ti: 2 ** 40 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|ki?|mi?|gi?|ti?)?$/i;
const CPUS = /^(\d+(?:\.\d+)?)(m?)$/;
const MIN_MEMORY = 64 * 2 ** 20;
const MIN_CPU_MILLIS = 10;

/** Bytes from "512m", "2Gi", "1073741824"; undefined if it is no size. */
export function parseMemory(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Millicores from "1", "0.5", "250m"; undefined if it is no CPU amount. */
export function parseCpu(text: string): number | undefined {
  const match = CPUS.exec(text.trim());
  if (!match) return undefined;
  const millis = match[2] ? Number(match[1]) : Number(match[1]) * 1000;
  return Number.isInteger(millis) && millis > 0 ? millis : undefined;
}

/** "1 GiB", "512 MiB", "1.5 GiB": for messages people read. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} bytes`;
}

export function formatCpus(millis: number): string {
  const cores = millis / 1000;
  return `${Number(cores.toFixed(3))} CPU${cores === 1 ? '' : 's'}`;
}

/** As Kubernetes quantities: whole MiB (or bytes when not whole) and millicores. */
export function quantities(resources: KernelResources): { memory: string; cpu: string } {
  const mib = resources.memoryBytes / 2 ** 20;
  return { memory: Number.isInteger(mib) ? `${mib}Mi` : String(resources.memoryBytes), cpu: `${resources.cpuMillis}m` };
}

/**
 * The resources of one kernel: the defaults, overridden field by field by the notebook's
 * request. Anything malformed, or beyond the server's maximum, is refused with a message that
 * says what is allowed.
 */
export function resolveResources(policy: ResourcePolicy, requested: ResourceRequest): KernelResources {
  if (requested === undefined || requested === null) return policy.defaults;
  if (typeof requested !== 'object' || Array.isArray(requested)) {
    throw new KernelLaunchError('metadata.tandem.resources must be an object such as {"memory": "2g", "cpus": "1"}');
  }
  const { memory, cpus, ...rest } = requested as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new KernelLaunchError(`metadata.tandem.resources may hold only memory and cpus, not ${unknown.join(', ')}`);
  const resources = { ...policy.defaults };
  if (memory !== undefined) {
    const bytes = typeof memory === 'string' || typeof memory === 'number' ? parseMemory(String(memory)) : undefined;
    if (bytes === undefined || bytes < MIN_MEMORY) {
      throw new KernelLaunchError(`The notebook's memory (${JSON.stringify(memory)}) must be a size of at least 64m, such as 512m or 2g`);
    }
    if (bytes > policy.max.memoryBytes) {
      throw new KernelLaunchError(
        `The notebook asks for ${formatBytes(bytes)} of memory, more than the ${formatBytes(policy.max.memoryBytes)} this server allows a kernel`,
      );
    }
    resources.memoryBytes = bytes;
  }
  if (cpus !== undefined) {
    const millis = typeof cpus === 'string' || typeof cpus === 'number' ? parseCpu(String(cpus)) : undefined;
    if (millis === undefined || millis < MIN_CPU_MILLIS) {
      throw new KernelLaunchError(`The notebook's cpus (${JSON.stringify(cpus)}) must be a number of cores such as 0.5 or 2`);
    }
    if (millis > policy.max.cpuMillis) {
      throw new KernelLaunchError(`The notebook asks for ${formatCpus(millis)}, more than the ${formatCpus(policy.max.cpuMillis)} this server allows a kernel`);
    }
    resources.cpuMillis = millis;
  }
  return resources;
}
