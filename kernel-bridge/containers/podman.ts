// The container engine, through podman's command line. Podman needs no daemon: each call is a
// process of its own that ends with its work, so there is nothing to start, watch or restart
// beside the server, and its errors are text meant for people (which we pass on). The
// Docker-compatible REST API would mean running `podman system service` as a second
// long-lived process and tarring build contexts by hand, for about 50 ms saved per call.

import { type CommandResult, runCommand } from '../environments/run-command';

export interface PodmanOptions {
  /** The podman executable; default "podman" on the PATH. */
  command?: string;
}

export interface PodmanCall {
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?(line: string): void;
}

export class PodmanError extends Error {
  constructor(
    message: string,
    readonly output: string[],
  ) {
    super(message);
    this.name = 'PodmanError';
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

export class Podman {
  readonly command: string;

  constructor(options: PodmanOptions = {}) {
    this.command = options.command ?? 'podman';
  }

  /** Runs `podman ARGS`; resolves with its result whatever the exit code. */
  call(args: string[], options: PodmanCall = {}): Promise<CommandResult> {
    return runCommand(this.command, args, {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: options.signal,
      onLine: options.onLine,
    });
  }

  /** Runs `podman ARGS` and returns its output lines; throws PodmanError when it fails. */
  async run(args: string[], options: PodmanCall = {}): Promise<string[]> {
    const result = await this.call(args, options);
    if (result.code !== 0) {
      const why = result.timedOut ? 'timed out' : result.lines.slice(-5).join('\n') || `exit code ${result.code}`;
      throw new PodmanError(`podman ${args[0]} failed: ${why}`, result.lines);
    }
    return result.lines;
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.call(['image', 'exists', image])).code === 0;
  }

  /** Ids of the containers (running or not) carrying every one of the labels. */
  async containersLabelled(labels: Record<string, string>): Promise<string[]> {
    const filters = Object.entries(labels).flatMap(([name, value]) => ['--filter', `label=${name}=${value}`]);
    return (await this.run(['ps', '--all', '--quiet', '--no-trunc', ...filters])).filter(Boolean);
  }

  /** Removes containers by force (stopping them first); missing ones are not an error. */
  async removeContainers(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run(['rm', '--force', '--ignore', '--time', '2', ...ids]);
  }
}
