// Makes a local kernel's connection info and writes it where only this user can read it: the
// key in it lets anyone who reads it run code in the kernel.

import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
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
 * Makes `dir` (0700), or checks one that exists: in a shared temporary folder another user may
 * have made it first, to read keys or swap connection files. A folder that is a symlink, is
 * not ours, or that others may write to is refused; one of ours that others may read is closed.
 */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const found = await lstat(dir);
  if (found.isSymbolicLink() || !found.isDirectory()) {
    throw new Error(`The kernel runtime folder ${dir} is a symlink or not a folder; remove it and start again`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && found.uid !== uid) {
    throw new Error(`The kernel runtime folder ${dir} belongs to another user (uid ${found.uid}); remove it and start again`);
  }
  if ((found.mode & 0o022) !== 0) {
    throw new Error(`Others may write to the kernel runtime folder ${dir} (mode ${(found.mode & 0o777).toString(8)}); remove it and start again`);
  }
  if ((found.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/**
 * Writes `kernel-<uuid>.json` (mode 0600, or `mode`) into `dir` (created 0700 if missing);
 * returns its path. The folder keeps other users out whatever the file's own mode.
 */
export async function writeConnectionFile(dir: string, info: ConnectionInfo, mode = 0o600): Promise<string> {
  await privateDir(dir);
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  // 'wx': never follow or overwrite a file someone else planted under that name.
  await writeFile(file, JSON.stringify(info, null, 2), { mode, flag: 'wx' });
  return file;
}
