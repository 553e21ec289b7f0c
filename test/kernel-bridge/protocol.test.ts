// Jupyter message framing and signing, as pure functions (no kernel). The last tests check
// interoperability against jupyter_client's own Session from Debian's Python.

import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createMessage, PROTOCOL_VERSION } from '../../kernel-bridge/protocol/message';
import { signFrames, verifyFrames } from '../../kernel-bridge/protocol/signature';
import { readContent } from '../../kernel-bridge/protocol/validate';
import { DELIMITER, parseMessage, serializeMessage } from '../../kernel-bridge/protocol/wire';

const key = Buffer.from('5f0c8b1e-9c1f-4a1b-8a37-2f6a1f0e7d21');

function sample() {
  return createMessage({
    msgType: 'execute_request',
    content: { code: 'print("héllo")', silent: false },
    session: 'session-1',
    username: 'ada',
    metadata: { cellId: 'c1' },
    buffers: [Buffer.from([0, 1, 2, 255])],
  });
}

describe('message creation', () => {
  test('a new message has a full 5.3 header and an empty parent header', () => {
    const message = sample();
    expect(message.header).toMatchObject({ session: 'session-1', username: 'ada', msg_type: 'execute_request', version: PROTOCOL_VERSION });
    expect(message.header.version).toBe('5.3');
    expect(message.header.msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(message.header.date))).toBe(false);
    expect(message.parent_header).toEqual({});
  });

  test('two messages never share a msg_id', () => {
    expect(sample().header.msg_id).not.toBe(sample().header.msg_id);
  });
});

describe('framing and signing', () => {
  test('a serialised message parses back to the same message, identities and buffers', () => {
    const message = sample();
    const identities = [Buffer.from('peer-a'), Buffer.from('peer-b')];
    const parsed = parseMessage(serializeMessage(message, key, identities), key);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.message).toEqual(message);
    expect(parsed.identities).toEqual(identities);
  });

  test('frames are identities, the delimiter, the signature, four JSON parts, then buffers', () => {
    const frames = serializeMessage(sample(), key, [Buffer.from('id')]);
    expect(frames).toHaveLength(1 + 1 + 1 + 4 + 1);
    expect(frames[1]).toEqual(DELIMITER);
    const expected = createHmac('sha256', key);
    for (const part of frames.slice(3, 7)) expected.update(part);
    expect(frames[2].toString()).toBe(expected.digest('hex'));
  });

  test('a message whose content was changed after signing is rejected', () => {
    const frames = serializeMessage(sample(), key);
    frames[5] = Buffer.from(JSON.stringify({ code: 'import os; os.system("rm -rf ~")' }));
    expect(parseMessage(frames, key)).toEqual({ ok: false, reason: 'bad signature' });
  });

  test('a message whose header, parent or metadata was changed after signing is rejected', () => {
    for (const index of [2, 3, 4]) {
      const frames = serializeMessage(sample(), key);
      frames[index] = Buffer.from(JSON.stringify({ ...JSON.parse(frames[index].toString()), extra: 1 }));
      expect(parseMessage(frames, key).ok).toBe(false);
    }
  });

  test('a message signed with another key is rejected', () => {
    const frames = serializeMessage(sample(), Buffer.from('another key'));
    expect(parseMessage(frames, key)).toEqual({ ok: false, reason: 'bad signature' });
  });

  test('an unsigned message is rejected when a key is set', () => {
    const frames = serializeMessage(sample(), Buffer.alloc(0));
    expect(parseMessage(frames, key)).toEqual({ ok: false, reason: 'unsigned message' });
  });

  test('a signature that is not 64 hex digits is rejected without comparing', () => {
    const parts = serializeMessage(sample(), key).slice(2, 6);
    expect(verifyFrames(key, parts, 'zz')).toBe(false);
    expect(verifyFrames(key, parts, signFrames(key, parts).toUpperCase())).toBe(false);
    expect(verifyFrames(key, parts, signFrames(key, parts))).toBe(true);
  });

  test('with an empty key, messages travel unsigned', () => {
    const frames = serializeMessage(sample(), Buffer.alloc(0));
    expect(frames[1].length).toBe(0);
    expect(parseMessage(frames, Buffer.alloc(0)).ok).toBe(true);
  });

  test('frames without the delimiter, or too few of them, are rejected', () => {
    const frames = serializeMessage(sample(), key);
    expect(parseMessage(frames.slice(1), key)).toEqual({ ok: false, reason: 'no <IDS|MSG> delimiter' });
    expect(parseMessage(frames.slice(0, 5), key).ok).toBe(false);
    expect(parseMessage([], key).ok).toBe(false);
  });

  test('correctly signed parts that are not JSON or not a header are rejected', () => {
    const sign = (parts: Buffer[]) => [DELIMITER, Buffer.from(signFrames(key, parts)), ...parts];
    const notJson = [Buffer.from('{'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
    expect(parseMessage(sign(notJson), key)).toEqual({ ok: false, reason: 'header is not JSON' });
    const noMsgType = [Buffer.from('{"msg_id":"x"}'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')];
    expect(parseMessage(sign(noMsgType), key).ok).toBe(false);
    const arrayContent = [Buffer.from('{"msg_id":"x","msg_type":"stream"}'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('[]')];
    expect(parseMessage(sign(arrayContent), key)).toEqual({ ok: false, reason: 'content is not an object' });
  });
});

describe('content validation', () => {
  const withContent = (msgType: string, content: unknown) => createMessage({ msgType, content, session: 's', username: 'u' });

  test('known content is returned typed, with protocol defaults filled in', () => {
    expect(readContent(withContent('clear_output', {}))).toEqual({ ok: true, typed: { msgType: 'clear_output', content: { wait: false } } });
    const display = readContent(withContent('display_data', { data: { 'text/plain': 'x' } }));
    expect(display).toEqual({ ok: true, typed: { msgType: 'display_data', content: { data: { 'text/plain': 'x' }, metadata: {} } } });
  });

  test('content of the wrong shape is rejected with the reason', () => {
    const result = readContent(withContent('stream', { name: 'stdout', text: 42 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('stream content');
    expect(readContent(withContent('update_display_data', { data: {}, transient: {} })).ok).toBe(false);
    expect(readContent(withContent('execute_reply', { status: 'maybe' })).ok).toBe(false);
  });

  test('message types the bridge does not read pass through untyped', () => {
    expect(readContent(withContent('comm_open', { anything: true }))).toEqual({ ok: true, typed: null });
  });
});

describe('interoperability with jupyter_client', () => {
  const python = '/usr/bin/python3';
  const script = `
import base64, json, sys
from jupyter_client.session import Session
key = sys.argv[1].encode()
session = Session(key=key, username="py")
incoming = [base64.b64decode(f) for f in json.loads(sys.stdin.read())]
idents, frames = session.feed_identities(incoming, copy=True)
message = session.deserialize(frames, content=True)
reply = session.msg("stream", content={"name": "stdout", "text": message["content"]["code"]}, parent=message["header"])
out = session.serialize(reply)
print(json.dumps([base64.b64encode(f).decode() for f in out]))
`;

  test('jupyter_client accepts our signed message and we accept its signed reply', () => {
    const request = sample();
    const frames = serializeMessage(request, key);
    const stdout = execFileSync(python, ['-c', script, key.toString()], {
      input: JSON.stringify(frames.map((frame) => frame.toString('base64'))),
      encoding: 'utf8',
    });
    const replyFrames = (JSON.parse(stdout) as string[]).map((frame) => Buffer.from(frame, 'base64'));
    const parsed = parseMessage(replyFrames, key);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.message.parent_header).toMatchObject({ msg_id: request.header.msg_id });
    expect(readContent(parsed.message)).toEqual({
      ok: true,
      typed: { msgType: 'stream', content: { name: 'stdout', text: 'print("héllo")' } },
    });
  });

  test('jupyter_client rejects our message when it was tampered with', () => {
    const frames = serializeMessage(sample(), key);
    frames[5] = Buffer.from('{"code":"evil"}');
    expect(() =>
      execFileSync(python, ['-c', script, key.toString()], {
        input: JSON.stringify(frames.map((frame) => frame.toString('base64'))),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    ).toThrow(/Invalid Signature/);
  });
});
