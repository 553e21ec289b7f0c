// JSON Schema validators (ajv) for message headers and for the content of every message type
// the bridge reads. Kernels may add fields, so extra properties are allowed; missing optional
// fields get their protocol defaults filled in.

import { Ajv, type ValidateFunction } from 'ajv';
import type { ContentByType, KnownMsgType, TypedContent } from './content';
import type { JupyterMessage, MessageHeader } from './message';

const ajv = new Ajv({ useDefaults: true, allowUnionTypes: true, strict: true });

const str = { type: 'string' } as const;
const obj = { type: 'object' } as const;
const metadata = { type: 'object', default: {} } as const;
const transient = { type: 'object', properties: { display_id: str } } as const;

const headerSchema = {
  type: 'object',
  required: ['msg_id', 'msg_type'],
  properties: {
    msg_id: str,
    msg_type: str,
    // Not every kernel fills these; defaults keep MessageHeader's fields all strings.
    session: { type: 'string', default: '' },
    username: { type: 'string', default: '' },
    date: { type: 'string', default: '' },
    version: { type: 'string', default: '' },
  },
} as const;

const displaySchema = {
  type: 'object',
  required: ['data'],
  properties: { data: obj, metadata, transient },
} as const;

const schemas: { [K in KnownMsgType]: object } = {
  status: { type: 'object', required: ['execution_state'], properties: { execution_state: str } },
  execute_input: {
    type: 'object',
    required: ['code', 'execution_count'],
    properties: { code: str, execution_count: { type: 'integer' } },
  },
  stream: {
    type: 'object',
    required: ['name', 'text'],
    properties: { name: { enum: ['stdout', 'stderr'] }, text: str },
  },
  display_data: displaySchema,
  update_display_data: {
    type: 'object',
    required: ['data', 'transient'],
    properties: { data: obj, metadata, transient: { ...transient, required: ['display_id'] } },
  },
  execute_result: {
    type: 'object',
    required: ['data', 'execution_count'],
    properties: { data: obj, metadata, transient, execution_count: { type: 'integer' } },
  },
  error: {
    type: 'object',
    required: ['ename', 'evalue'],
    properties: { ename: str, evalue: str, traceback: { type: 'array', items: str, default: [] } },
  },
  clear_output: { type: 'object', properties: { wait: { type: 'boolean', default: false } } },
  execute_reply: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { enum: ['ok', 'error', 'aborted'] },
      execution_count: { type: ['integer', 'null'] },
      ename: str,
      evalue: str,
      traceback: { type: 'array', items: str },
    },
  },
  kernel_info_reply: {
    type: 'object',
    required: ['language_info'],
    properties: {
      status: { enum: ['ok', 'error'], default: 'ok' },
      protocol_version: { type: 'string', default: '' },
      implementation: { type: 'string', default: '' },
      implementation_version: str,
      language_info: { type: 'object', required: ['name'], properties: { name: str } },
      banner: { type: 'string', default: '' },
    },
  },
  input_request: {
    type: 'object',
    required: ['prompt'],
    properties: { prompt: str, password: { type: 'boolean', default: false } },
  },
  interrupt_reply: { type: 'object', properties: { status: { type: 'string', default: 'ok' } } },
  shutdown_reply: { type: 'object', properties: { status: { type: 'string', default: 'ok' } } },
};

const validateHeader: ValidateFunction<MessageHeader> = ajv.compile<MessageHeader>(headerSchema);

const contentValidators = Object.fromEntries(Object.entries(schemas).map(([msgType, schema]) => [msgType, ajv.compile(schema)])) as {
  [K in KnownMsgType]: ValidateFunction<ContentByType[K]>;
};

/** Validates a header in place, filling missing optional fields with ''. */
export function isMessageHeader(value: unknown): value is MessageHeader {
  return validateHeader(value);
}

export type ContentResult =
  | { ok: true; typed: TypedContent }
  /** A message type the bridge does not read (comm_open, debug_event...). */
  | { ok: true; typed: null }
  | { ok: false; reason: string };

/** Checks a message's content against the schema for its msg_type. */
export function readContent(message: JupyterMessage): ContentResult {
  const msgType = message.header.msg_type;
  if (!Object.hasOwn(contentValidators, msgType)) return { ok: true, typed: null };
  const validate = contentValidators[msgType as KnownMsgType];
  if (!validate(message.content)) {
    return { ok: false, reason: `${msgType} content: ${ajv.errorsText(validate.errors)}` };
  }
  return { ok: true, typed: { msgType, content: message.content } as TypedContent };
}
