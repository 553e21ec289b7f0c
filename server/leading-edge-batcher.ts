// Turns a burst of changes into few writes without delaying the first one: the first change
// after a quiet spell is flushed at once, later ones are held and flushed together once per
// interval, and the window closes after an interval with nothing to flush. Stream output and
// presence both go out this way.

export class LeadingEdgeBatcher {
  private timer: NodeJS.Timeout | undefined;

  /** `flush` writes whatever is pending and says whether there was anything. */
  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => boolean,
  ) {}

  /** Something is pending: flushed now if the window is closed, else at the window's end. */
  changed(): void {
    if (this.timer) return;
    this.flush();
    this.openWindow();
  }

  /** Flushes what is pending and closes the window: the next change goes out at once. */
  flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private openWindow(): void {
    this.timer = setTimeout(this.windowEnds, this.intervalMs);
  }

  private readonly windowEnds = (): void => {
    this.timer = undefined;
    if (this.flush()) this.openWindow();
  };
}
