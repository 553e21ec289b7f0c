// Jupyter messages (protocol 5.3+) as plain data, and the one way to make a new one.
// See https://jupyter-client.readthedocs.io/en/stable/messaging.html#general-message-format

import { randomUUID } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';

export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  /** ISO 8601 with a time zone. */
  date: string;
  msg_type: string;
  version: string;
}

/** A message's JSON parts. `content` stays unknown until it is validated for its msg_type. */
export interface JupyterMessage<Content = unknown> {
  header: MessageHeader;
  /** The header of the request this message answers, or `{}`. */
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Content;
  /** Binary buffers after the JSON parts, for widgets and the like. */
  buffers: Buffer[];
}

export interface NewMessage<Content> {
  msgType: string;
  content: Content;
  /** Client session id, the same for every message of one connection. */
  session: string;
  username: string;
  parent?: MessageHeader;
  metadata?: Record<string, unknown>;
  buffers?: Buffer[];
  /** For tests that need a fixed id; a random UUID otherwise. */
  msgId?: string;
  date?: Date;
}

export function createMessage<Content>(spec: NewMessage<Content>): JupyterMessage<Content> {
  return {
    header: {
      msg_id: spec.msgId ?? randomUUID(),
      session: spec.session,
      username: spec.username,
      date: (spec.date ?? new Date()).toISOString(),
      msg_type: spec.msgType,
      version: PROTOCOL_VERSION,
    },
    parent_header: spec.parent ?? {},
    metadata: spec.metadata ?? {},
    content: spec.content,
    buffers: spec.buffers ?? [],
  };
}

/** The msg_id of the request a message answers, if it names one. */
export function parentMsgId(message: JupyterMessage): string | undefined {
  const parent = message.parent_header;
  return 'msg_id' in parent && typeof parent.msg_id === 'string' ? parent.msg_id : undefined;
}
