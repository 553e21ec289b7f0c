// The Runs panel's state: the notebook's runs from the server (asked again when a job starts or
// ends, and now and then), the run whose details are open with its whole record (a
// reproduction's diff), and reproducing, publishing and cancelling runs.
import { describeError } from '../api/http';
import { cancelJob, fetchJob, type JobRecord, type JobSummary, listJobs, publishJob, reproduceJob } from '../api/jobs';

export class JobRuns {
  runs = $state.raw<JobSummary[]>([]);
  loaded = $state(false);
  failure = $state<string | null>(null);
  /** The run whose details are open, and its whole record once fetched. */
  openId = $state<string | null>(null);
  record = $state.raw<JobRecord | null>(null);
  recordFailure = $state<string | null>(null);
  /** Reader links made here, by run id: the server shows a link's token only when it makes it. */
  readerLinks = $state.raw(new Map<string, string>());
  #list: AbortController | undefined;
  #detail: AbortController | undefined;

  constructor(private readonly fileId: string) {}

  async refresh(): Promise<void> {
    this.#list?.abort();
    const request = new AbortController();
    this.#list = request;
    try {
      const runs = await listJobs(this.fileId, request.signal);
      if (request.signal.aborted) return;
      this.runs = runs;
      this.failure = null;
      // The open run's record may have ended since it was fetched.
      const open = runs.find((run) => run.id === this.openId);
      if (open && this.record?.id === open.id && this.record.status !== open.status) void this.#fetchRecord(open.id);
    } catch (err) {
      if (!request.signal.aborted) this.failure = describeError(err);
    } finally {
      if (!request.signal.aborted) this.loaded = true;
    }
  }

  /** Opens a run's details (null closes them). */
  open(id: string | null): void {
    this.openId = id;
    this.record = null;
    this.recordFailure = null;
    this.#detail?.abort();
    if (id !== null) void this.#fetchRecord(id);
  }

  async #fetchRecord(id: string): Promise<void> {
    this.#detail?.abort();
    const request = new AbortController();
    this.#detail = request;
    try {
      const record = await fetchJob(id, request.signal);
      if (!request.signal.aborted && this.openId === id) this.record = record;
    } catch (err) {
      if (!request.signal.aborted) this.recordFailure = describeError(err);
    }
  }

  /** Re-runs a run on its own data, parameters and environment; opens the new run. */
  async reproduce(id: string): Promise<string> {
    const started = await reproduceJob(id);
    await this.refresh();
    this.open(started.id);
    return started.id;
  }

  /** Publishes an ended, successful run as a report; gives its reader link. */
  async publish(id: string): Promise<string> {
    const { url } = await publishJob(id);
    this.readerLinks = new Map(this.readerLinks).set(id, url);
    await this.refresh();
    return url;
  }

  async cancel(id: string): Promise<void> {
    await cancelJob(id);
  }

  dispose(): void {
    this.#list?.abort();
    this.#detail?.abort();
  }
}
