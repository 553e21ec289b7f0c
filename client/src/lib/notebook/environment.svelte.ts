// What the notebook's environment specification resolves to on the server, kept fresh while
// the Environment panel is open: asked again when the specification changes or a build starts
// or ends, with bursts of changes (an editor saving, a build's last steps) making one request.
import type { KernelState } from '@common/doc-schema';
import { type EnvironmentResolution, fetchEnvironment } from '../api/environments';
import { describeError } from '../api/http';

const SETTLE_MS = 300;

export class EnvironmentResolver {
  resolution = $state.raw<EnvironmentResolution | null>(null);
  /** Why the server could not be asked (not: why the specification is unusable). */
  failure = $state<string | null>(null);
  /** Something it depends on changed, and the new answer has not come yet. */
  stale = $state(false);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #request: AbortController | undefined;

  constructor(private readonly fileId: string) {}

  /** Asks soon; the first time (the panel just opened), at once. */
  schedule(): void {
    this.stale = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.load(), this.#asked ? SETTLE_MS : 0);
    this.#asked = true;
  }

  #asked = false;

  async load(): Promise<void> {
    this.#request?.abort();
    const request = new AbortController();
    this.#request = request;
    try {
      const resolution = await fetchEnvironment(this.fileId, request.signal);
      if (request.signal.aborted) return;
      this.resolution = resolution;
      this.failure = null;
      this.stale = false;
    } catch (err) {
      if (request.signal.aborted) return;
      this.failure = describeError(err);
      this.stale = false;
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#request?.abort();
  }
}

/**
 * Whether the kernel is dead because its environment failed to build: the build names the
 * environment in the kernel map before it starts, and the server still has no such build.
 * (A kernel that crashed after starting ran in an environment that is built.)
 */
export function buildFailed(kernel: KernelState, resolution: EnvironmentResolution | null): boolean {
  return (
    kernel.status === 'dead' &&
    !!kernel.environment &&
    !!resolution &&
    'id' in resolution &&
    resolution.id === kernel.environment &&
    resolution.status !== 'built'
  );
}

/** An installer's error as a headline (its first line) and the lines that explain it. */
export function splitMessage(message: string): { headline: string; details: string } {
  const nl = message.indexOf('\n');
  return nl < 0 ? { headline: message, details: '' } : { headline: message.slice(0, nl).replace(/:$/, ''), details: message.slice(nl + 1) };
}

/**
 * Why the specification cannot be used, without the server's preamble saying that it cannot
 * (the panel and the strip say that in their own heading).
 */
export function specProblem(message: string): string {
  const reason = message.replace(/^This notebook's environment \(metadata\.tandem\.environment\) cannot be used: /, '');
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}
