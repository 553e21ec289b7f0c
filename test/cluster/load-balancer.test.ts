// Three replicas behind Debian's nginx, configured with the file users deploy
// (deploy/nginx/tandem.conf): plain round robin, no sticky sessions. Clients know only nginx's
// address. When the notebook's owner is killed (-9), its clients reconnect through nginx to the
// survivors, everyone converges with nothing doubled, and runs go on; a real browser too.

import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ownerPort } from '../../bench/lib/cluster-owner';
import { cell, cellText, editCell, launchChromium, notebookJson, openNotebook, person } from '../browser/support/browser';
import { ensureClientBuilt } from '../browser/support/build';
import { connectNotebook, eventually, type NotebookClient } from '../helpers/clients';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { outputsOf, waitForRun } from '../helpers/execution';
import { front, type NginxServer, startNginx } from '../helpers/nginx';
import type { TandemProcess } from '../helpers/tandem';

let cluster: TestCluster;
let nginx: NginxServer;
let entry: TandemProcess;
let redis: Redis;
let browser: Browser;
const clients: NotebookClient[] = [];

beforeAll(async () => {
  [cluster, browser] = await Promise.all([
    startCluster(3, { leaseSeconds: 2, args: ['--log-format', 'json'] }),
    ensureClientBuilt().then(() => launchChromium()),
  ]);
  nginx = await startNginx(cluster.replicas.map((replica) => replica.port));
  entry = front(nginx, cluster.token, cluster.root);
  redis = new Redis(cluster.redis.url);
}, 180_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await browser?.close();
  redis?.disconnect();
  await nginx?.stop();
  await cluster?.stop();
});

/** Kills the replica that owns the notebook now; returns it. */
async function killOwner(fileId: string): Promise<TandemProcess> {
  const port = await eventually(async () => {
    const owner = await ownerPort(redis, fileId);
    expect(owner).toBeDefined();
    return owner;
  });
  const owner = cluster.replicas.find((replica) => replica.port === port && replica.process.exitCode === null);
  if (!owner) throw new Error(`no live replica on the owner's port ${port}`);
  await owner.kill9();
  return owner;
}

/** Asks nginx to run cells until a replica accepts (503 while nobody owns the notebook yet). */
async function runWhenAccepted(fileId: string, cellIds: string[]): Promise<string> {
  return eventually(
    async () => {
      const response = await entry.api('POST', `/api/notebooks/${fileId}/execute`, { cellIds });
      expect(response.status, `${response.status} ${nginx.errors().slice(-500)}`).toBe(202);
      return (await response.json()).runs[0].id as string;
    },
    30_000,
    200,
  );
}

function source(client: NotebookClient, index: number): string {
  return client.notebook.getCell(index).getSource();
}

test('y-websocket clients through nginx converge, and after kill -9 of the owner reconnect through it with nothing lost or doubled', async () => {
  cluster.writeNotebook('balanced.ipynb', [
    { id: 'b1', source: '# typed through nginx' },
    { id: 'b2', source: 'print("ran through nginx")' },
  ]);
  // Each client's session request and socket go wherever round robin sends them.
  for (let i = 0; i < 6; i++) clients.push(await connectNotebook(entry, 'balanced.ipynb'));
  const { fileId } = clients[0];
  expect(new Set(clients.map((client) => client.sessionId)).size).toBe(1);

  clients.forEach((client, i) => {
    const text = source(client, 0);
    client.notebook.getCell(0).updateSource(text.length, text.length, `\nbefore ${i}`);
  });
  await eventually(() => {
    for (const client of clients)
      expect(source(client, 0).split('\n').sort()).toEqual(['# typed through nginx', ...clients.map((_, i) => `before ${i}`)].sort());
  });
  const first = await runWhenAccepted(fileId, ['b2']);
  expect((await waitForRun(clients[5], first)).status).toBe('ok');

  await killOwner(fileId);
  // Everyone keeps typing through the failover; the dead replica's clients offline for a moment.
  clients.forEach((client, i) => {
    const text = source(client, 0);
    client.notebook.getCell(0).updateSource(text.length, text.length, `\nduring ${i}`);
  });
  clients[0].notebook.insertCell(2, { cell_type: 'markdown', source: 'inserted during the failover' });

  const expected = ['# typed through nginx', ...clients.map((_, i) => `before ${i}`), ...clients.map((_, i) => `during ${i}`)].sort();
  await eventually(() => {
    for (const client of clients) {
      expect(client.provider.wsconnected).toBe(true);
      expect(source(client, 0).split('\n').sort()).toEqual(expected);
      expect(client.notebook.cells.map((c) => c.getSource())).toEqual([source(clients[0], 0), 'print("ran through nginx")', 'inserted during the failover']);
    }
  }, 30_000);
  // The dead replica had clients (round robin spread them), and they came back through nginx.
  expect(clients.some((client) => client.closes.length > 0)).toBe(true);

  const after = await runWhenAccepted(fileId, ['b2']);
  expect((await waitForRun(clients[0], after)).status).toBe('ok');
  await eventually(() => expect(outputsOf(clients[3], 'b2')[0]?.text).toBe('ran through nginx\n'));

  // A replacement replica on a new port: a reload points nginx at it (here, at it alone)
  // without dropping the sockets already open; a newcomer then reaches it and syncs.
  const closesBefore = clients.map((client) => client.closes.length);
  const replacement = await cluster.add();
  await nginx.reload([replacement.port]);
  const newcomer = await connectNotebook(entry, 'balanced.ipynb');
  clients.push(newcomer);
  await eventually(() => expect(newcomer.notebook.cells.map((c) => c.getSource())).toEqual(clients[0].notebook.cells.map((c) => c.getSource())));
  expect(clients.slice(0, closesBefore.length).map((client) => client.closes.length)).toEqual(closesBefore);
  await nginx.reload(cluster.replicas.filter((replica) => replica.process.exitCode === null).map((replica) => replica.port));
}, 120_000);

test('a browser through nginx runs a cell, and keeps editing and running after its notebook’s owner is killed', async () => {
  const saved = await entry.api('PUT', '/api/contents/browser.ipynb', {
    type: 'notebook',
    format: 'json',
    content: notebookJson([{ source: 'print("first", 6 * 7)' }]),
  });
  expect(saved.status).toBe(201);
  const user = await person(browser);
  try {
    await openNotebook(user, `${nginx.base}/notebooks/browser.ipynb?token=${cluster.token}`);
    const { page } = user;
    await editCell(page, 0);
    await page.keyboard.press('Shift+Enter');
    await cell(page, 0).locator('[data-testid="stream-output"]', { hasText: 'first 42' }).waitFor({ timeout: 60_000 });

    const { fileId } = (await (await entry.api('PUT', '/api/collaboration/session/browser.ipynb', { format: 'json', type: 'notebook' })).json()) as {
      fileId: string;
    };
    await killOwner(fileId);

    // The page reconnects through nginx on its own; the edit and the run reach the new owner.
    await editCell(page, 0);
    await page.keyboard.press('End');
    await page.keyboard.type('; print("second", 6 * 7)');
    await page.keyboard.press('Shift+Enter');
    await eventually(
      async () => {
        const output = cell(page, 0).locator('[data-testid="stream-output"]', { hasText: 'second 42' });
        if ((await output.count()) === 0) {
          // A run asked in the seconds no replica owns the notebook is refused (the page says
          // to try again): the user presses Shift+Enter again.
          await editCell(page, 0);
          await page.keyboard.press('Shift+Enter');
        }
        expect(await output.count()).toBeGreaterThan(0);
      },
      60_000,
      3000,
    );
    expect(await cellText(page, 0)).toContain('print("second", 6 * 7)');
    expect(user.errors).toEqual([]);
  } finally {
    await user.context.close();
  }
}, 180_000);
