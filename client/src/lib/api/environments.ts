// What a notebook's environment specification resolves to, as the server sees it now: its own
// environment (with whether it is built, and what it holds), a kernelspec used as installed, or
// why the specification cannot be used. The specification itself is edited in the document.
import type { EnvironmentSpec } from '@common/doc-schema';
import { request } from './http';

export interface BuiltEnvironment {
  /** ISO date. */
  builtAt: string;
  buildMs: number;
  installer: 'uv' | 'pip';
  /** The ipykernel version the kernel runs with. */
  ipykernel: string;
  /** What the environment itself holds, beyond what it sees of its base Python. */
  packages: { name: string; version: string }[];
}

export type EnvironmentResolution =
  | {
      specification: EnvironmentSpec | null;
      kind: 'environment';
      id: string;
      /** The kernelspec it is built like (its Python and display name). */
      kernelspec: string;
      python: { path: string; version: string };
      status: 'built' | 'building' | 'not built';
      built?: BuiltEnvironment;
    }
  | { specification: EnvironmentSpec | null; kind: 'kernelspec'; kernelspec: string }
  | { specification: unknown; error: string };

export function fetchEnvironment(fileId: string, signal?: AbortSignal): Promise<EnvironmentResolution> {
  return request<EnvironmentResolution>('GET', `/api/notebooks/${encodeURIComponent(fileId)}/environment`, { signal });
}
