// The notebook's schedule as the server has it: its cron expression and time zone, the next run
// times, the latest run and the schedule's report. Setting it goes through the server, which
// checks the expression (with croner) and writes it into the notebook's metadata.
import { describeError } from '../api/http';
import { clearSchedule, fetchSchedule, publishSchedule, type ScheduleInfo, type ScheduleSpec, saveSchedule } from '../api/schedules';

export class NotebookSchedule {
  info = $state.raw<ScheduleInfo | null>(null);
  loaded = $state(false);
  failure = $state<string | null>(null);
  busy = $state(false);
  /** The reader link made here for the schedule's report, if any. */
  readerLink = $state<string | null>(null);
  #request: AbortController | undefined;

  constructor(private readonly fileId: string) {}

  async refresh(): Promise<void> {
    this.#request?.abort();
    const request = new AbortController();
    this.#request = request;
    try {
      const info = await fetchSchedule(this.fileId, request.signal);
      if (request.signal.aborted) return;
      this.info = info;
      this.failure = null;
    } catch (err) {
      if (!request.signal.aborted) this.failure = describeError(err);
    } finally {
      if (!request.signal.aborted) this.loaded = true;
    }
  }

  /** Sets the schedule; throws the server's reason (an invalid cron expression, say). */
  async save(spec: ScheduleSpec): Promise<void> {
    this.#request?.abort();
    this.info = await this.#busy(() => saveSchedule(this.fileId, spec));
    this.failure = null;
  }

  async clear(): Promise<void> {
    this.#request?.abort();
    await this.#busy(() => clearSchedule(this.fileId));
    this.info = null;
    this.readerLink = null;
  }

  async publish(): Promise<string> {
    const { url } = await this.#busy(() => publishSchedule(this.fileId));
    this.readerLink = url;
    return url;
  }

  dispose(): void {
    this.#request?.abort();
  }

  async #busy<T>(work: () => Promise<T>): Promise<T> {
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }
}
