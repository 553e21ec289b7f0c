// The Jupyter kernel API's part of each open notebook: the channels of its shared kernel, made
// when the first Jupyter client connects and gone when the notebook unloads. The notebook's
// kernel is the one its rooms and Tandem's execution API use, so every client shares it.

import type { NotebookExtension, NotebookListener } from '../notebooks/notebook-extension';
import type { OpenNotebook } from '../notebooks/open-notebook';
import { KernelChannels } from './kernel-channels';

type Log = ConstructorParameters<typeof KernelChannels>[1];

export class NotebookChannels implements NotebookListener {
  private channels: KernelChannels | undefined;

  constructor(
    private readonly notebook: OpenNotebook,
    private readonly log: Log,
  ) {}

  get connections(): number {
    return this.channels?.connections ?? 0;
  }

  get(): KernelChannels {
    this.channels ??= new KernelChannels(
      {
        handle: () => this.notebook.kernel().handle(),
        execute: (message, user, runId) => this.notebook.kernel().executeMessage(message, user, runId),
        input: (runId, username, value) => this.notebook.kernel().input(runId, username, value),
        interrupt: () => this.notebook.kernel().interrupt(),
        restart: () => this.notebook.kernel().restart(),
        shutdown: () => this.notebook.kernel().shutdown(),
      },
      this.log,
    );
    return this.channels;
  }

  unload(): void {
    this.channels?.dispose();
    this.channels = undefined;
  }
}

export function notebookChannelsExtension(log: Log): NotebookExtension<NotebookChannels> {
  return { attach: (notebook) => new NotebookChannels(notebook, log) };
}
