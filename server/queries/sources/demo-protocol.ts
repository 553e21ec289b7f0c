// Messages between the server (demo-source.ts) and the demo database process.
//
// server -> process: one `query` at a time; after each `rows` event the process waits for
// `more` (so a large result never piles up in the channel), or `stop` to cancel.
// process -> server: `starting`, then `ready` (or `fatal`); per query `columns`, any number of
// `rows`, then one of `done`, `error` or `cancelled`.

import type { ResultField } from './source';

export type DemoRequest = { op: 'query'; sql: string } | { op: 'more' } | { op: 'stop' } | { op: 'close' };

export type DemoEvent =
  | { ev: 'starting'; firstTime: boolean }
  | { ev: 'ready' }
  | { ev: 'fatal'; message: string }
  | { ev: 'columns'; fields: ResultField[] }
  | { ev: 'rows'; rows: (string | null)[][] }
  | { ev: 'done' }
  | { ev: 'error'; message: string }
  | { ev: 'cancelled' };
