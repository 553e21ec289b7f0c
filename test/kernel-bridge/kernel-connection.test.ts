// What the kernel connection does with what arrives on its sockets. A rogue publisher stands in
// for a kernel's iopub port here because the point is to send frames no real kernel would.

import { randomBytes } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import * as zmq from 'zeromq';
import { type IncomingMessage, KernelConnection } from '../../kernel-bridge/client/kernel-connection';
import type { ConnectionInfo } from '../../kernel-bridge/protocol/connection-info';
import { createMessage } from '../../kernel-bridge/protocol/message';
import { serializeMessage } from '../../kernel-bridge/protocol/wire';
import { pickFreePorts } from '../../kernel-bridge/runtimes/connection-file';
import { recordingLogger } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function rogueKernel() {
  const [shell, control, stdin, iopub, hb] = await pickFreePorts(5);
  const key = randomBytes(32).toString('hex');
  const info: ConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    control_port: control,
    stdin_port: stdin,
    iopub_port: iopub,
    hb_port: hb,
    signature_scheme: 'hmac-sha256',
    key,
  };
  const publisher = new zmq.Publisher({ linger: 0 });
  await publisher.bind(`tcp://127.0.0.1:${iopub}`);
  const logger = recordingLogger();
  const connection = new KernelConnection(info, { logger, username: 't', heartbeatIntervalMs: 1000, heartbeatMaxMisses: 3 });
  cleanups.push(
    () => connection.close(),
    () => publisher.close(),
  );
  const received: IncomingMessage[] = [];
  connection.on('message', (message) => received.push(message));
  const stream = (text: string, signingKey = key) =>
    serializeMessage(createMessage({ msgType: 'stream', content: { name: 'stdout', text }, session: 'k', username: 'k' }), Buffer.from(signingKey));

  // A Subscriber misses whatever is published before its subscription arrives, so publish
  // until the first message gets through.
  while (received.length === 0) {
    await publisher.send(stream('hello'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  received.length = 0;
  return { publisher, logger, received, stream, key, connection };
}

function texts(received: IncomingMessage[]): string[] {
  return received.map(({ typed }) => (typed?.msgType === 'stream' ? typed.content.text : `<${typed?.msgType}>`));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

test('a kernel connection drops unsigned, wrongly signed and malformed messages and keeps listening', async () => {
  const { publisher, logger, received, stream } = await rogueKernel();
  await publisher.send(stream('unsigned', ''));
  await publisher.send(stream('forged', 'not the key'));
  await publisher.send([Buffer.from('garbage')]);
  await publisher.send(stream('ok'));
  await until(() => received.length > 0);

  expect(texts(received)).toEqual(['ok']);
  const reasons = logger.lines.filter((line) => line.level === 'warn').map((line) => line.fields.reason);
  expect(reasons).toEqual(['unsigned message', 'bad signature', 'no <IDS|MSG> delimiter']);
});

test('a correctly signed message whose content has the wrong shape is dropped', async () => {
  const { publisher, logger, received, key } = await rogueKernel();
  const bad = createMessage({ msgType: 'stream', content: { name: 'stdout', text: ['not', 'text'] }, session: 'k', username: 'k' });
  await publisher.send(serializeMessage(bad, Buffer.from(key)));
  const good = createMessage({ msgType: 'comm_open', content: { comm_id: 'c' }, session: 'k', username: 'k' });
  await publisher.send(serializeMessage(good, Buffer.from(key)));
  await until(() => received.length > 0);

  expect(texts(received)).toEqual(['<undefined>']);
  expect(received[0].message.header.msg_type).toBe('comm_open');
  expect(logger.lines.some((line) => String(line.fields.reason).startsWith('stream content'))).toBe(true);
});

test('a listener that throws is logged and does not stop the connection from delivering messages', async () => {
  const { publisher, logger, received, stream, connection } = await rogueKernel();
  connection.on('message', () => {
    throw new Error('listener bug');
  });
  await publisher.send(stream('one'));
  await publisher.send(stream('two'));
  await until(() => received.length >= 2);
  expect(texts(received)).toEqual(['one', 'two']);
  expect(logger.lines.filter((line) => line.message === 'kernel message listener threw')).toHaveLength(2);
});
