// Schedules, driven by the server's manual clock (--scheduler-clock manual) instead of waiting
// for minutes to pass: a schedule every minute publishes a fresh report on each good run, a
// failing run keeps the last good report and marks it, at most one run per notebook runs at a
// time, missed times run once, and bad schedules get clear errors.

import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Report, ScheduleInfo } from '../../common/api';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { makeNotebook } from '../helpers/notebooks';
import { removeRoot, startTandem, type TandemProcess } from '../helpers/tandem';

let server: TandemProcess;
let client: NotebookClient;
let fileId: string;
const MINUTE = 60_000;
const t0 = Date.now();

async function writeData(text: string): Promise<void> {
  expect((await server.api('PUT', '/api/contents/data.txt', { type: 'file', format: 'text', content: text })).ok).toBe(true);
}

async function tick(at: number): Promise<string[]> {
  const response = await server.api('POST', '/api/scheduler/tick', { at });
  expect(response.status).toBe(200);
  return (await response.json()).started;
}

async function schedule(): Promise<ScheduleInfo> {
  return (await server.api('GET', `/api/notebooks/${fileId}/schedule`)).json();
}

/** Waits until the schedule's latest run is a new one that has ended. */
async function nextRunEnded(previous: string | undefined): Promise<ScheduleInfo> {
  return eventually(
    async () => {
      const info = await schedule();
      expect(info.lastRun?.jobId).not.toBe(previous);
      expect(['ok', 'failed', 'cancelled']).toContain(info.lastRun?.status);
      return info;
    },
    60_000,
    100,
  );
}

function printedIn(report: Report): string {
  return report.cells
    .flatMap((c) => c.outputs)
    .map((o) => String(o.text ?? ''))
    .join('');
}

beforeAll(async () => {
  server = await startTandem({ args: ['--warm-pool', '0', '--scheduler-clock', 'manual'] });
  await writeData('alpha');
  await server.api('PUT', '/api/contents/daily.ipynb', {
    type: 'notebook',
    format: 'json',
    content: makeNotebook([{ id: 'read', source: "print(open('data.txt').read())" }]),
  });
  client = await connectNotebook(server, 'daily.ipynb');
  fileId = client.fileId;
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
  if (server) removeRoot(server.root);
});

test('a schedule every minute refreshes its report on good runs, and a failed run keeps the last good report, marked', async () => {
  const put = await server.api('PUT', `/api/notebooks/${fileId}/schedule`, { cron: '* * * * *', timezone: 'Europe/Oslo' });
  expect(put.status).toBe(200);
  const info = (await put.json()) as ScheduleInfo;
  expect(info.schedule).toEqual({ cron: '* * * * *', timezone: 'Europe/Oslo' });
  expect(info.nextRuns).toHaveLength(5);
  expect(Date.parse(info.nextRuns[1]!) - Date.parse(info.nextRuns[0]!)).toBe(MINUTE);
  // It travels with the file: it is in the notebook's metadata.
  await eventually(() =>
    expect((client.doc.getMap('meta').toJSON().metadata as { tandem?: unknown }).tandem).toEqual({ schedule: { cron: '* * * * *', timezone: 'Europe/Oslo' } }),
  );

  const published = await server.api('POST', `/api/notebooks/${fileId}/schedule/publish`);
  expect(published.status).toBe(201);
  const { url, token } = await published.json();
  expect(url).toBe(`${server.base}/reports/${info.reportId}?token=${token}`);
  const report = async (): Promise<Report> => {
    const response = await server.api('GET', `/api/reports/${info.reportId}`, undefined, token);
    expect(response.status).toBe(200);
    return response.json();
  };
  // No good run yet: nothing to show, and it says why.
  const early = await server.api('GET', `/api/reports/${info.reportId}`, undefined, token);
  expect(early.status).toBe(409);

  // Not due yet.
  expect(await tick(t0)).toEqual([]);
  expect(await tick(t0 + MINUTE + 1000)).toEqual([fileId]);
  const first = await nextRunEnded(undefined);
  expect(first.lastRun?.status).toBe('ok');
  expect(printedIn(await report())).toBe('alpha\n');
  expect((await report()).mode).toBe('live');
  // Handled: the same time does not run it again.
  expect(await tick(t0 + MINUTE + 1000)).toEqual([]);

  await writeData('beta');
  expect(await tick(t0 + 2 * MINUTE + 1000)).toEqual([fileId]);
  const second = await nextRunEnded(first.lastRun?.jobId);
  expect(second.lastGood).toBe(second.lastRun?.jobId);
  expect(printedIn(await report())).toBe('beta\n');
  expect((await report()).lastRunFailed).toBeUndefined();

  await server.api('DELETE', '/api/contents/data.txt');
  expect(await tick(t0 + 3 * MINUTE + 1000)).toEqual([fileId]);
  const failed = await nextRunEnded(second.lastRun?.jobId);
  expect(failed.lastRun?.status).toBe('failed');
  expect(failed.lastGood).toBe(second.lastRun?.jobId);
  const kept = await report();
  expect(printedIn(kept)).toBe('beta\n');
  expect(kept.lastRunFailed?.message).toBe("FileNotFoundError: [Errno 2] No such file or directory: 'data.txt'");
});

test('at most one scheduled run per notebook at a time, and many missed times run once', async () => {
  // The run waits for a go-ahead file, so it is surely still running when the next slot comes.
  const waiting = "import os, time\nwhile not os.path.exists('go'):\n    time.sleep(0.05)\nprint(open('data.txt').read())";
  await server.api('PUT', '/api/contents/daily.ipynb', { type: 'notebook', format: 'json', content: makeNotebook([{ id: 'read', source: waiting }]) });
  await eventually(() => expect(client.notebook.cells[0]!.getSource()).toBe(waiting));
  await server.api('PUT', `/api/notebooks/${fileId}/schedule`, { cron: '*/5 * * * *' });
  await writeData('gamma');
  const before = (await schedule()).lastRun?.jobId;
  // An hour of missed five-minute slots: one run.
  expect(await tick(t0 + 60 * MINUTE)).toEqual([fileId]);
  // The next slot comes while it runs: no second run beside it.
  expect(await tick(t0 + 65 * MINUTE)).toEqual([]);
  await server.api('PUT', '/api/contents/go', { type: 'file', format: 'text', content: '' });
  const ended = await nextRunEnded(before);
  expect(ended.lastRun?.status).toBe('ok');
  expect(ended.schedule).toEqual({ cron: '*/5 * * * *' });
  // Once it has ended, the next slot runs.
  expect(await tick(t0 + 70 * MINUTE)).toEqual([fileId]);
  await nextRunEnded(ended.lastRun?.jobId);
});

test('an invalid cron expression or time zone is refused with a clear error, and the schedule stays as it was', async () => {
  const before = await schedule();
  const cron = await server.api('PUT', `/api/notebooks/${fileId}/schedule`, { cron: 'every monday' });
  expect(cron.status).toBe(400);
  expect((await cron.json()).message).toMatch(/^Invalid cron expression "every monday": /);
  const zone = await server.api('PUT', `/api/notebooks/${fileId}/schedule`, { cron: '0 7 * * 1-5', timezone: 'Mars/Olympus' });
  expect(zone.status).toBe(400);
  expect((await zone.json()).message).toBe('Unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Oslo"');
  expect((await schedule()).schedule).toEqual(before.schedule);
  // The clock is the owner's, and only in manual mode.
  const viewer = (await (await server.api('POST', '/api/shares', { path: 'daily.ipynb', role: 'viewer' })).json()).token;
  expect((await server.api('POST', '/api/scheduler/tick', { at: Date.now() }, viewer)).status).toBe(403);
  expect((await server.api('PUT', `/api/notebooks/${fileId}/schedule`, { cron: '* * * * *' }, viewer)).status).toBe(403);
  expect((await server.api('GET', '/api/notebooks/no-such-file/schedule')).status).toBe(404);
});
