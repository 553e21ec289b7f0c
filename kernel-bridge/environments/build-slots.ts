// At most a few environment builds at once: each runs an installer that wants every core, and
// on a small machine ten at a time would finish later than two at a time, while starving the
// kernels people are using. Builds past the limit wait their turn, in order.

export class BuildSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** True if a build must wait for a slot now (so its progress can say so). */
  get full(): boolean {
    return this.running >= this.limit;
  }

  /** Resolves with a release function once a slot is free; `signal` gives up waiting. */
  async take(signal: AbortSignal): Promise<() => void> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = this.waiting.indexOf(turn);
          if (index !== -1) this.waiting.splice(index, 1);
          reject(signal.reason);
        };
        const turn = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(turn);
      });
    } else {
      this.running += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next build, so `running` stays as it is.
      if (next) next();
      else this.running -= 1;
    };
  }
}
