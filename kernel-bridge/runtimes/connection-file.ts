// Makes a local kernel's connection info and writes it where only this user can read it: the
// key in it lets anyone who reads it run code in the kernel.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { ConnectionInfo } from '../protocol/connection-info';

const LOOPBACK = '127.0.0.1';

/**
 * Asks the OS for `count` distinct free ports by binding them all at once, then frees them for
 * the kernel. Another process may take one in between; the caller retries the launch if so.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export async function newConnectionInfo(kernelName: string): Promise<ConnectionInfo> {
  const [shell, control, stdin, iopub, hb] = await pickFreePorts(5);
  return {
    transport: 'tcp',
    ip: LOOPBACK,
    shell_port: shell,
    control_port: control,
    stdin_port: stdin,
    iopub_port: iopub,
    hb_port: hb,
    signature_scheme: 'hmac-sha256',
    key: randomBytes(32).toString('hex'),
    kernel_name: kernelName,
  };
}

/**
 * Writes `kernel-<uuid>.json` (mode 0600, or `mode`) into `dir` (created 0700 if missing);
 * returns its path. The folder keeps other users out whatever the file's own mode.
 */
export async function writeConnectionFile(dir: string, info: ConnectionInfo, mode = 0o600): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  // 'wx': never follow or overwrite a file someone else planted under that name.
  await writeFile(file, JSON.stringify(info, null, 2), { mode, flag: 'wx' });
  return file;
}
