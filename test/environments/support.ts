// Helpers for environment tests: notebooks that declare an environment, the `kernel` map as a
// client sees it, and what the server's log says about builds.

import type { EnvironmentSpec, KernelState } from '../../common/doc-schema';
import type { NotebookClient } from '../helpers/clients';
import { makeNotebook, type SimpleCell } from '../helpers/notebooks';
import type { TandemProcess } from '../helpers/tandem';

/** Saves a notebook that declares `environment` (or none) at `path` in the server's root. */
export async function putNotebook(server: TandemProcess, path: string, cells: SimpleCell[], environment?: EnvironmentSpec): Promise<void> {
  const content = makeNotebook(cells) as { metadata: Record<string, unknown> };
  if (environment) content.metadata.tandem = { environment };
  const response = await server.api('PUT', `/api/contents/${path}`, { type: 'notebook', format: 'json', content });
  if (response.status >= 300) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

/**
 * Changes the notebook's environment the way the Environment panel does: in the shared
 * metadata, keeping the other keys of metadata.tandem (such as `queries`).
 */
export function setEnvironment(client: NotebookClient, environment: EnvironmentSpec): void {
  const tandem = (client.notebook.getMetadata('tandem') ?? {}) as Record<string, unknown>;
  client.notebook.setMetadata('tandem', { ...tandem, environment } as never);
}

export function kernelOf(client: NotebookClient): KernelState {
  return client.doc.getMap('kernel').toJSON() as KernelState;
}

/** How many times the server started building this environment, from its structured log. */
export function buildsOf(server: TandemProcess, environmentId: string): number {
  return server
    .logs()
    .split('\n')
    .filter((line) => line.includes('"environment build started"') && line.includes(`"environment":"${environmentId}"`)).length;
}

/** The text a cell printed to stdout. */
export function stdoutOf(outputs: Record<string, unknown>[]): string {
  return outputs
    .filter((output) => output.output_type === 'stream' && output.name === 'stdout')
    .map((output) => String(output.text))
    .join('');
}
