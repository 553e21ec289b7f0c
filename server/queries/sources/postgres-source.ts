// Queries a Postgres server with `pg`, streaming rows through a cursor (pg-cursor) so a
// result of any size passes in bounded memory. Each query has its own connection, so that
// cancelling one (pg_cancel_backend from a second connection) touches nothing else.

import type pg from 'pg';
import type Cursor from 'pg-cursor';
import type { PostgresClientConfig } from '../connections';
import { describePgError, FETCH_ROWS, QueryCancelled, QueryFailed, type QuerySink, type QuerySource, type ResultField } from './source';

/** The Postgres driver, loaded on the first query: a server whose notebooks never query Postgres does not hold it. */
async function driver(): Promise<{ Client: typeof pg.Client; Cursor: typeof Cursor }> {
  const [{ default: pgModule }, { default: CursorClass }] = await Promise.all([import('pg'), import('pg-cursor')]);
  return { Client: pgModule.Client, Cursor: CursorClass };
}

// Every value arrives as Postgres's text form; the Arrow columns parse them (see pg-columns).
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;
const QUERY_CANCELED = '57014';
const CONNECT_TIMEOUT_MS = 15_000;

type ReadResult = { rows: (string | null)[][]; fields: ResultField[] };

function read(cursor: Cursor, count: number): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => {
      if (error) reject(error);
      else resolve({ rows: rows as (string | null)[][], fields: (result?.fields ?? []).map((f) => ({ name: f.name, typeOid: f.dataTypeID })) });
    });
  });
}

export class PostgresSource implements QuerySource {
  constructor(
    private readonly name: string,
    private readonly config: PostgresClientConfig,
  ) {}

  async run(sql: string, sink: QuerySink, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new QueryCancelled();
    sink.phase('connecting');
    const { Client, Cursor } = await driver();
    const client = new Client({ ...this.config, application_name: 'tandem', connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // A dropped connection is reported by the query that was using it; this keeps it from
    // being thrown as an uncaught 'error' event.
    client.on('error', () => undefined);
    let cancelling: Promise<void> | undefined;
    const onAbort = () => {
      cancelling ??= this.cancelBackend((client as unknown as { processID?: number }).processID);
    };
    try {
      try {
        await client.connect();
      } catch (error) {
        if (signal.aborted) throw new QueryCancelled();
        throw new QueryFailed(`Could not connect to "${this.name}": ${describePgError(error)}`);
      }
      if (signal.aborted) throw new QueryCancelled();
      // Dates and times in ISO form, which is what the Arrow columns read.
      await client.query("SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'");
      signal.addEventListener('abort', onAbort, { once: true });
      sink.phase('running');
      const cursor = client.query(new Cursor(sql, [], { rowMode: 'array', types: RAW_TEXT }));
      let first = true;
      for (;;) {
        const { rows, fields } = await read(cursor, FETCH_ROWS);
        if (first) {
          sink.columns(fields);
          sink.phase('fetching');
          first = false;
        }
        if (!rows.length) break;
        await sink.rows(rows);
        if (signal.aborted) throw new QueryCancelled();
      }
      await cursor.close();
    } catch (error) {
      if (error instanceof QueryCancelled || error instanceof QueryFailed) throw error;
      if ((error as { code?: string }).code === QUERY_CANCELED || signal.aborted) throw new QueryCancelled();
      throw new QueryFailed(describePgError(error));
    } finally {
      signal.removeEventListener('abort', onAbort);
      await cancelling;
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}

  /** Stops the backend's current query, from a second connection, as psql's Ctrl-C does. */
  private async cancelBackend(pid: number | undefined): Promise<void> {
    if (!pid) return;
    const { Client } = await driver();
    const admin = new Client({ ...this.config, application_name: 'tandem-cancel', connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    } catch {
      // The query is ended anyway when its connection closes below.
    } finally {
      await admin.end().catch(() => undefined);
    }
  }
}
