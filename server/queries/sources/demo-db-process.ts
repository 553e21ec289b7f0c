// The embedded demo database, in a process of its own: PGlite (Postgres compiled to
// WebAssembly) runs queries on the thread that calls it, so it must not share the server's
// event loop, and the server can stop a runaway query by ending this process.
//
// It speaks over the IPC channel of child_process.fork; see demo-source.ts for the protocol.
// The data lives in DATA_DIR (an argument), seeded with the sample shop on first start.

import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { normalizeSql } from '../sql-cell';
import { DEMO_SEED_SQL } from './demo-data';
import type { DemoEvent, DemoRequest } from './demo-protocol';
import { describePgError, FETCH_ROWS } from './source';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: demo-db-process DATA_DIR');
const seededMarker = `${dataDir}.seeded`;

// Every value as Postgres's text form, as from a real server (see pg-columns).
const identity = (value: string) => value;
const RAW_TEXT = Object.fromEntries(Object.keys(types.parsers).map((oid) => [oid, identity]));

function send(event: DemoEvent): void {
  process.send?.(event);
}

let waiting: (() => void) | undefined;
let stopRequested = false;

function nextBatchWanted(): Promise<void> {
  return new Promise((resolve) => (waiting = resolve));
}

async function openDatabase(): Promise<PGlite> {
  const fresh = !existsSync(dataDir);
  send({ ev: 'starting', firstTime: fresh || !existsSync(seededMarker) });
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir });
  } catch (error) {
    if (fresh) throw error;
    // A demo database left unreadable (the process was ended mid-write) starts over.
    renameSync(dataDir, `${dataDir}.broken-${Date.now()}`);
    return openDatabase();
  }
  if (!existsSync(seededMarker)) {
    await db.exec(`BEGIN;\n${DEMO_SEED_SQL}\nCOMMIT;`);
    writeFileSync(seededMarker, new Date().toISOString());
  }
  return db;
}

// DECLARE CURSOR takes these; other statements (DDL, INSERT) run as they are.
const CURSOR_ABLE = /^\(*\s*(select|with|values|table)\b/i;

async function runQuery(db: PGlite, sql: string): Promise<void> {
  const statement = normalizeSql(sql);
  if (!CURSOR_ABLE.test(statement)) {
    const results = await db.exec(sql, { rowMode: 'array', parsers: RAW_TEXT });
    const last = results.at(-1);
    send({ ev: 'columns', fields: (last?.fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID })) });
    const rows = (last?.rows ?? []) as unknown as (string | null)[][];
    for (let i = 0; i < rows.length; i += FETCH_ROWS) {
      if (stopRequested) return send({ ev: 'cancelled' });
      send({ ev: 'rows', rows: rows.slice(i, i + FETCH_ROWS) });
      await nextBatchWanted();
    }
    return send({ ev: 'done' });
  }
  await db.exec('BEGIN');
  try {
    await db.query(`DECLARE tandem_cursor NO SCROLL CURSOR FOR ${statement}`);
    let first = true;
    for (;;) {
      const result = await db.query<(string | null)[]>(`FETCH ${FETCH_ROWS} FROM tandem_cursor`, [], { rowMode: 'array', parsers: RAW_TEXT });
      if (first) {
        send({ ev: 'columns', fields: result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })) });
        first = false;
      }
      if (!result.rows.length) break;
      if (stopRequested) {
        send({ ev: 'cancelled' });
        return;
      }
      send({ ev: 'rows', rows: result.rows });
      await nextBatchWanted();
    }
    send({ ev: 'done' });
  } finally {
    await db.exec('ROLLBACK').catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let db: PGlite;
  try {
    db = await openDatabase();
  } catch (error) {
    send({ ev: 'fatal', message: describePgError(error) });
    process.exit(1);
  }
  send({ ev: 'ready' });
  let busy = Promise.resolve();
  process.on('message', (message: DemoRequest) => {
    switch (message.op) {
      case 'query':
        stopRequested = false;
        busy = busy.then(() => runQuery(db, message.sql).catch((error: unknown) => send({ ev: 'error', message: describePgError(error) })));
        return;
      case 'more':
        waiting?.();
        waiting = undefined;
        return;
      case 'stop':
        stopRequested = true;
        waiting?.();
        waiting = undefined;
        return;
      case 'close':
        void busy.then(() => db.close()).finally(() => process.exit(0));
        return;
    }
  });
  // The server went away without saying so: do not linger.
  process.on('disconnect', () => process.exit(0));
}

void main();
