// What `--storage s3://` costs, on a real S3-compatible server (versitygw on loopback, behind a
// counting proxy that sees every request the Tandem server sends):
//   1. S3 requests in one minute for a closed notebook, an open one nobody edits, and one with
//      five editors typing (a keystroke each every 200 ms);
//   2. opening a 5 MB notebook cold: the first open after a restart, from the bucket with empty
//      local folders, against the filesystem with the history on disk;
//   3. propagation, 1 writer and 100 observers, on the bucket against the filesystem: the main
//      bench's propagation suite, run in this process against each server.
// Prints a Markdown section and keeps it in bench/results/s3-storage.md.
//
//   npm run bench:s3 [-- --minute-ms 60000] [--repetitions 3]

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startS3Server } from '../test/helpers/s3-server.js';
import { startTandem, type TandemProcess, tempRoot } from '../test/helpers/tandem.js';
import type { PropagationParams } from './config.js';
import { buildTandem } from './lib/bundle.js';
import { formatted } from './lib/format-markdown.js';
import { type RealClient, realClient, whenSynced } from './lib/provider.js';
import { median } from './lib/stats.js';
import { syntheticNotebook } from './lib/synthetic-notebook.js';
import { refreshSeparateSections } from './report.js';
import { BENCH } from './servers/paths.js';
import type { ServerInfo } from './servers/types.js';
import { propagation } from './suites/propagation.js';

const { values: options } = parseArgs({
  options: { 'minute-ms': { type: 'string', default: '60000' }, repetitions: { type: 'string', default: '3' } },
});
const MINUTE_MS = Number(options['minute-ms']);
const REPETITIONS = Number(options.repetitions);
const EDITORS = 5;
const KEYSTROKE_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Forwards every request to the S3 server unchanged (signatures included) and counts them by operation. */
async function countingProxy(target: string) {
  const upstream = new URL(target);
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    // Path-style: /BUCKET/PREFIX/AREA/…, where AREA is docs, versions, files or state.
    const area = url.searchParams.get('prefix')?.split('/')[1] ?? decodeURIComponent(url.pathname).split('/')[3] ?? '';
    const op = `${req.method === 'GET' && url.searchParams.has('list-type') ? 'LIST' : (req.method ?? '?')} ${area}`.trim();
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries(counts),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function connect(server: TandemProcess, path: string): Promise<RealClient> {
  const session = await (await server.api('PUT', `/api/collaboration/session/${encodeURI(path)}`, { format: 'json', type: 'notebook' })).json();
  const client = realClient({
    serverUrl: `${server.wsBase}/api/collaboration/room`,
    roomName: `json:notebook:${session.fileId}`,
    params: { sessionId: session.sessionId, token: server.token },
  });
  if (!(await whenSynced(client.provider, 120_000))) throw new Error(`${path} did not sync`);
  return client;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const describe = (counts: Record<string, number>) =>
  Object.keys(counts).length
    ? Object.entries(counts)
        .sort()
        .map(([op, n]) => `${n} ${op}`)
        .join(', ')
    : 'none';

async function requestsPerMinute(s3Endpoint: string, credentials: Record<string, string>, bucket: string) {
  const proxy = await countingProxy(s3Endpoint);
  const root = tempRoot('tandem-bench-s3-');
  const storage = ['--storage', `s3://${bucket}/requests`, '--s3-endpoint', proxy.endpoint, '--room-grace', '1', '--save-delay', '1'];
  const server = await startTandem({ root, args: storage, env: credentials });
  try {
    const small = syntheticNotebook({ seed: 3, targetBytes: 110 * 1024 });
    for (const name of ['closed', 'idle', 'busy']) {
      const answer = await server.api('PUT', `/api/contents/${name}.ipynb`, { type: 'notebook', format: 'json', content: small });
      if (answer.status !== 201) throw new Error(`could not create ${name}.ipynb: ${answer.status}`);
    }
    // Closed: made, opened once and closed again, then left alone.
    (await connect(server, 'closed.ipynb')).destroy();
    await sleep(5000);
    proxy.reset();
    await sleep(MINUTE_MS);
    const closed = proxy.snapshot();

    const idle = await connect(server, 'idle.ipynb');
    await sleep(5000);
    proxy.reset();
    await sleep(MINUTE_MS);
    const openIdle = proxy.snapshot();
    idle.destroy();

    const editors = await Promise.all(Array.from({ length: EDITORS }, () => connect(server, 'busy.ipynb')));
    await sleep(2000);
    proxy.reset();
    let keystrokes = 0;
    const timers = editors.map((editor, i) =>
      setInterval(() => {
        const cell = editor.notebook.cells[i % editor.notebook.cells.length];
        cell.updateSource(0, 0, 'x');
        keystrokes++;
      }, KEYSTROKE_MS),
    );
    await sleep(MINUTE_MS);
    for (const timer of timers) clearInterval(timer);
    const busy = proxy.snapshot();
    for (const editor of editors) editor.destroy();
    return { closed, openIdle, busy, keystrokes };
  } finally {
    await server.stop();
    await proxy.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Start a server, open the notebook once (so it has a history), stop; then time the first open after a fresh start. */
async function coldOpen(
  storage: string[],
  credentials: Record<string, string>,
  content: unknown,
  loseDisk: boolean,
): Promise<{ startMs: number; openMs: number }> {
  const parent = tempRoot('tandem-bench-s3-');
  const root = join(parent, 'root');
  mkdirSync(root);
  try {
    const first = await startTandem({ root, args: storage, env: credentials });
    const put = await first.api('PUT', '/api/contents/large.ipynb', { type: 'notebook', format: 'json', content });
    if (put.status !== 201) throw new Error(`could not create large.ipynb: ${put.status}`);
    (await connect(first, 'large.ipynb')).destroy();
    await first.stop();
    if (loseDisk) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
    }
    const started = performance.now();
    const again = await startTandem({ root, args: storage, env: credentials, token: first.token });
    const listening = performance.now();
    const client = await connect(again, 'large.ipynb');
    const opened = performance.now();
    if (client.notebook.cells.length === 0) throw new Error('the notebook opened empty');
    client.destroy();
    await again.stop();
    return { startMs: listening - started, openMs: opened - listening };
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

const PROPAGATION: PropagationParams = { observers: 100, editsPerSecond: 50, seconds: 10, warmupSeconds: 2 };

/** The propagation suite's p99 (ms) against a fresh Tandem started with `args`. */
async function propagationP99(args: string[], credentials: Record<string, string>): Promise<number | null> {
  const root = tempRoot('tandem-bench-s3-propagation-');
  const server = await startTandem({ root, args, env: credentials });
  try {
    const info: ServerInfo = { flavor: 'tandem', label: 'Tandem', host: '127.0.0.1', port: server.port, token: server.token, pid: server.process.pid!, root };
    const result = await propagation({ server: info, params: PROPAGATION, connectBatch: 50, workDir: root, target: 'tandem' });
    if (result.notes.length) process.stderr.write(`propagation with ${args.join(' ') || 'the filesystem'}: ${result.notes.join(' ')}\n`);
    return result.metrics.find((metric) => metric.label === 'p99 send to receipt')?.value ?? null;
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  buildTandem();
  const s3 = await startS3Server();
  const credentials = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: 'us-east-1' };
  try {
    const requests = await requestsPerMinute(s3.endpoint, credentials, s3.bucket);
    const large = syntheticNotebook({ seed: 11, targetBytes: 5 * 1024 * 1024 });
    const bytes = Buffer.byteLength(JSON.stringify(large));
    const fs: { startMs: number; openMs: number }[] = [];
    const bucket: { startMs: number; openMs: number }[] = [];
    for (let i = 0; i < REPETITIONS; i++) {
      fs.push(await coldOpen([], {}, large, false));
      bucket.push(await coldOpen(['--storage', `s3://${s3.bucket}/cold-${i}`, '--s3-endpoint', s3.endpoint], credentials, large, true));
    }
    const fsP99: number[] = [];
    const s3P99: number[] = [];
    for (let i = 0; i < REPETITIONS; i++) {
      fsP99.push((await propagationP99([], {})) ?? Number.NaN);
      s3P99.push((await propagationP99(['--storage', `s3://${s3.bucket}/propagation-${i}`, '--s3-endpoint', s3.endpoint], credentials)) ?? Number.NaN);
    }
    const fsOpen = median(fs.map((r) => r.openMs));
    const s3Open = median(bucket.map((r) => r.openMs));
    const fsStart = median(fs.map((r) => r.startMs));
    const s3Start = median(bucket.map((r) => r.startMs));
    const minute = MINUTE_MS === 60_000 ? 'one minute' : `${MINUTE_MS / 1000} s`;
    const lines = [
      '## S3 storage: requests and a cold open',
      '',
      `Measured by \`npm run bench:s3\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()[0].toFixed(1)} at the end, shared with other work. The bucket is versitygw v1.8.0 on loopback (posix backend); a proxy in front of it counts every request the Tandem server sends. Defaults: log shipped at most once a second, notebook saved after 1 s of quiet (at least every 15 s while typing goes on), \`--s3-check 30\`.`,
      '',
      `| workload, ${minute} | requests | of which | goal |`,
      '| --- | --- | --- | --- |',
      `| a closed notebook | ${total(requests.closed)} | ${describe(requests.closed)} | 0 |`,
      `| an open notebook nobody edits | ${total(requests.openIdle)} | ${describe(requests.openIdle)} | no write, at most 2 reads |`,
      `| ${EDITORS} editors typing (a keystroke each every ${KEYSTROKE_MS} ms, ${requests.keystrokes} in all) | ${total(requests.busy)} | ${describe(requests.busy)} | at most 60 |`,
      '',
      `Each request is named by its operation and the part of the bucket it went to: \`docs\` (a history: its shipped log chunks, at most one a second, and compactions), \`versions\` (automatic versions), \`files\` (the .ipynb saves written through, at least every 15 s while typing goes on, and the HEAD that looks for other tools' changes every 30 s) and \`state\`. The closed and idle rows count everything the server sent in the window, whichever notebook it was for.`,
      '',
      `Opening a ${(bytes / 1024 / 1024).toFixed(1)} MB notebook (synthetic, seed 11) cold, median of ${REPETITIONS}: the first client's session and sync after a restart. From the bucket, the restart has empty local folders (the disk was lost), so it first fills its cache from the bucket; on the filesystem, the history is on disk.`,
      '',
      '| storage | server start to listening | first open (session and sync) | open, against the filesystem |',
      '| --- | --- | --- | --- |',
      `| filesystem | ${fsStart.toFixed(0)} ms | ${fsOpen.toFixed(0)} ms | 1.00× |`,
      `| S3 bucket, empty local folders | ${s3Start.toFixed(0)} ms | ${s3Open.toFixed(0)} ms | ${(s3Open / fsOpen).toFixed(2)}× (goal: at most 1.5×) |`,
      '',
      `Propagation: one writer types ${PROPAGATION.editsPerSecond} edits/s for ${PROPAGATION.seconds} s (the first ${PROPAGATION.warmupSeconds} s unmeasured) while ${PROPAGATION.observers} viewers receive them, the main bench's suite; p99 from the writer's send to each viewer's receipt, median of ${REPETITIONS} runs, each on a fresh server. Every edit is in the local write-ahead log before it is broadcast on either storage; the bucket's shipping happens beside it.`,
      '',
      '| storage | p99 send to receipt | against the filesystem |',
      '| --- | --- | --- |',
      `| filesystem | ${median(fsP99).toFixed(2)} ms | |`,
      `| S3 bucket | ${median(s3P99).toFixed(2)} ms | ${(median(s3P99) - median(fsP99)).toFixed(2)} ms later (goal: within 10 ms) |`,
      '',
    ];
    const section = lines.join('\n');
    process.stdout.write(section);
    const dir = join(BENCH, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 's3-storage.md'), section);
    formatted(join(dir, 's3-storage.md'));
    formatted(refreshSeparateSections());
    return 0;
  } finally {
    await s3.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
