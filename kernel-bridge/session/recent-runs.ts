// Which run each recent execute_request belonged to, so that output arriving after its run has
// finished (from a thread the cell started, or an update_display_data) still finds its cell.
// Bounded: the oldest requests are forgotten first.

const DEFAULT_CAPACITY = 256;

export class RecentRuns {
  private readonly byMsgId = new Map<string, string>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  remember(msgId: string, runId: string): void {
    this.byMsgId.set(msgId, runId);
    if (this.byMsgId.size > this.capacity) {
      const oldest = this.byMsgId.keys().next().value;
      if (oldest !== undefined) this.byMsgId.delete(oldest);
    }
  }

  runIdOf(msgId: string): string | undefined {
    return this.byMsgId.get(msgId);
  }
}
