// The Jupyter Server kernel API's parts, made once per server: the notebook extension that
// holds each notebook's channels, the kernels (notebooks' and standalone), and the sessions.

import { stat } from 'node:fs/promises';
import type { BridgeLogger } from '../../kernel-bridge';
import type { RootPaths } from '../contents/paths';
import type { NotebookExtension } from '../notebooks/notebook-extension';
import type { OpenNotebooks } from '../notebooks/open-notebooks';
import type { FileIdIndex } from '../storage/file-ids';
import { JupyterKernels } from './jupyter-kernels';
import { JupyterSessions, type ResolvedPath } from './jupyter-sessions';
import type { NotebookChannels } from './notebook-channels';
import { StandaloneKernels } from './standalone-kernels';

export type { JupyterKernels, KernelRef } from './jupyter-kernels';
export type { JupyterSessions } from './jupyter-sessions';
export { notebookChannelsExtension } from './notebook-channels';

export interface JupyterApi {
  kernels: JupyterKernels;
  sessions: JupyterSessions;
  standalone: StandaloneKernels;
  /** A path's notebook, if it is one. */
  resolve(path: string, assign: boolean): Promise<ResolvedPath>;
  close(): Promise<void>;
}

export interface JupyterApiOptions {
  channels: NotebookExtension<NotebookChannels>;
  notebooks: OpenNotebooks;
  fileIds: FileIdIndex;
  paths: RootPaths;
  root: string;
  defaultKernel: string;
  cullIdleMs: number;
  log: BridgeLogger & { debug(obj: object, msg?: string): void };
}

export function createJupyterApi(options: JupyterApiOptions): JupyterApi {
  const standalone = new StandaloneKernels({
    root: options.root,
    defaultKernel: options.defaultKernel,
    cullIdleMs: options.cullIdleMs,
    log: options.log,
  });
  const kernels = new JupyterKernels({
    notebooks: options.notebooks,
    standalone,
    channels: options.channels,
    defaultKernel: options.defaultKernel,
  });
  // Only the owner gives a notebook its fileId: a share reaches only a notebook that has one.
  const resolve = async (path: string, assign: boolean): Promise<ResolvedPath> => {
    const { apiPath, absolute } = options.paths.resolve(path);
    if (!apiPath.endsWith('.ipynb')) return { apiPath, fileId: undefined };
    // A path Tandem does not have (VS Code names the notebook on the user's disk) is only a
    // label, as in Jupyter Server: the session gets a kernel of its own.
    const info = await stat(absolute).catch(() => undefined);
    if (!info?.isFile()) return { apiPath, fileId: undefined };
    const fileId = options.fileIds.idOf(apiPath) ?? (assign ? options.fileIds.ensure(apiPath) : undefined);
    return { apiPath, fileId };
  };
  const sessions = new JupyterSessions({
    kernels,
    standalone,
    resolve,
    roomSize: (fileId) => options.notebooks.get(fileId)?.room.size ?? 0,
  });
  return { kernels, sessions, standalone, resolve, close: () => standalone.closeAll() };
}
