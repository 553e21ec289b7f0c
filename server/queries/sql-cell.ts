// Reading a SQL cell: a code cell whose first line is `%%sql CONNECTION [--as NAME] [--live]`
// and whose other lines are the query. Pure functions, so the grammar is easy to test.

import { createHash } from 'node:crypto';

export interface SqlCell {
  connection: string;
  /** The Python name the result is bound to in the kernel. */
  name: string;
  /** `--live`: query again (and re-pin) even when a snapshot is pinned. */
  live: boolean;
  /** The query as written, for the database. */
  sql: string;
}

/** A cell that starts with %%sql but cannot be run; the message says how to fix it. */
export class SqlCellError extends Error {
  override readonly name = 'SqlCellError';
}

const MAGIC = /^%%sql(?:\s|$)/;
const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);

export function isSqlCell(source: string): boolean {
  return MAGIC.test(source);
}

/** Parses a SQL cell. Throws SqlCellError with a message a person can act on. */
export function parseSqlCell(source: string): SqlCell {
  const newline = source.indexOf('\n');
  const header = (newline < 0 ? source : source.slice(0, newline)).trim();
  const sql = newline < 0 ? '' : source.slice(newline + 1);
  const words = header.split(/\s+/).slice(1);
  const usage = 'Write the first line as: %%sql CONNECTION [--as NAME] [--live]';
  let connection: string | undefined;
  let name = 'df';
  let live = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--live') live = true;
    else if (word === '--as') {
      const next = words[++i];
      if (!next) throw new SqlCellError(`--as needs a name. ${usage}`);
      if (!PYTHON_NAME.test(next) || PYTHON_KEYWORDS.has(next))
        throw new SqlCellError(`"${next}" is not a Python variable name; --as needs one, such as df or orders`);
      name = next;
    } else if (word.startsWith('-')) throw new SqlCellError(`Unknown option ${word}. ${usage}`);
    else if (connection === undefined) connection = word;
    else throw new SqlCellError(`Unexpected "${word}" on the %%sql line. ${usage}`);
  }
  if (!connection) throw new SqlCellError(`Name a connection. ${usage}`);
  if (!normalizeSql(sql)) throw new SqlCellError('The cell has no query: write it on the lines after %%sql');
  return { connection, name, live, sql };
}

/**
 * The query with comments dropped, runs of whitespace made one space, and trailing semicolons
 * removed, outside string literals, quoted identifiers and dollar-quoted bodies. Two queries
 * that differ only in layout or comments normalise the same, so a pinned snapshot stays valid
 * when someone reformats the cell.
 */
export function normalizeSql(sql: string): string {
  let out = '';
  let i = 0;
  let space = false;
  const emit = (text: string) => {
    if (space && out) out += ' ';
    space = false;
    out += text;
  };
  while (i < sql.length) {
    const ch = sql[i];
    if (/\s/.test(ch)) {
      space = true;
      i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      space = true;
    } else if (ch === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
      space = true;
    } else if (ch === "'" || ch === '"') {
      const end = skipQuoted(sql, i, ch);
      emit(sql.slice(i, end));
      i = end;
    } else if (ch === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        const end = close < 0 ? sql.length : close + tag.length;
        emit(sql.slice(i, end));
        i = end;
      } else {
        emit(ch);
        i++;
      }
    } else {
      emit(ch);
      i++;
    }
  }
  return out.replace(/[\s;]+$/, '');
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

// Postgres block comments nest.
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** Identifies a query: the same connection, normalised SQL and parameters hash the same. */
export function queryHash(connection: string, normalizedSql: string, params: readonly unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify([connection, normalizedSql, params]))
    .digest('hex');
}
