// A database that SQL cells can query. Sources hand over rows in Postgres's text form and let
// the runner write them as they come; a query can be stopped at any moment through its signal.

export type SourcePhase = 'connecting' | 'running' | 'fetching';

export interface ResultField {
  name: string;
  /** Postgres type OID. */
  typeOid: number;
}

export interface QuerySink {
  phase(phase: SourcePhase, message?: string): void;
  /** The result's columns, once, before any rows (empty for statements without a result). */
  columns(fields: ResultField[]): void;
  /** A batch of rows; the source waits for it before fetching more, so memory stays bounded. */
  rows(rows: (string | null)[][]): Promise<void>;
}

export interface QuerySource {
  /** Runs one query. Rejects with QueryFailed or QueryCancelled. */
  run(sql: string, sink: QuerySink, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The database refused or failed the query; the message is for the person who wrote it. */
export class QueryFailed extends Error {
  override readonly name = 'QueryFailed';
}

export class QueryCancelled extends Error {
  override readonly name = 'QueryCancelled';
  constructor() {
    super('The query was cancelled');
  }
}

/** Rows fetched from the database per round trip. */
export const FETCH_ROWS = 10_000;

/** A Postgres error as a person should read it: message, where, and the server's hint. */
export function describePgError(error: unknown): string {
  const e = error as { message?: string; position?: string; hint?: string; detail?: string };
  let text = e.message ?? String(error);
  if (e.position) text += ` (at character ${e.position} of the query)`;
  if (e.detail) text += `. ${e.detail}`;
  if (e.hint) text += `. Hint: ${e.hint}`;
  return text;
}
