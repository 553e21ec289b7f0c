// The SQL cell grammar, query normalisation and the connections file: pure functions, tested
// without a server.

import { expect, test } from 'vitest';
import { ConfigError } from '../../server/config';
import { parseConnections } from '../../server/queries/connections';
import { normalizeSql, parseSqlCell, queryHash, SqlCellError } from '../../server/queries/sql-cell';

test('a SQL cell names its connection, and optionally --as NAME and --live', () => {
  expect(parseSqlCell('%%sql warehouse\nSELECT 1')).toEqual({ connection: 'warehouse', name: 'df', live: false, sql: 'SELECT 1' });
  expect(parseSqlCell('%%sql  warehouse --live --as orders \nSELECT *\nFROM orders')).toEqual({
    connection: 'warehouse',
    name: 'orders',
    live: true,
    sql: 'SELECT *\nFROM orders',
  });
});

test('a malformed %%sql line is refused with a message that says how to write it', () => {
  const refused = (source: string) => {
    try {
      parseSqlCell(source);
    } catch (error) {
      expect(error).toBeInstanceOf(SqlCellError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };
  expect(refused('%%sql\nSELECT 1')).toMatch(/^Name a connection\. Write the first line as: %%sql CONNECTION \[--as NAME\] \[--live\]$/);
  expect(refused('%%sql db --as\nSELECT 1')).toMatch(/^--as needs a name/);
  expect(refused('%%sql db --as 2x\nSELECT 1')).toBe('"2x" is not a Python variable name; --as needs one, such as df or orders');
  expect(refused('%%sql db --as class\nSELECT 1')).toMatch(/not a Python variable name/);
  expect(refused('%%sql db --fast\nSELECT 1')).toMatch(/^Unknown option --fast/);
  expect(refused('%%sql db other\nSELECT 1')).toMatch(/^Unexpected "other"/);
  expect(refused('%%sql db\n  -- only a comment\n')).toBe('The cell has no query: write it on the lines after %%sql');
});

test("layout and comments do not change a query's identity, but literals do", () => {
  const a = normalizeSql("SELECT a,\n       b   -- the b\nFROM t /* nested /* comment */ */ WHERE s = 'x  y';;\n");
  expect(a).toBe("SELECT a, b FROM t WHERE s = 'x  y'");
  expect(normalizeSql('select $$ keep  --this $$, "Odd  Name" from t')).toBe('select $$ keep  --this $$, "Odd  Name" from t');
  expect(queryHash('db', a, [])).toBe(queryHash('db', normalizeSql("SELECT a, b FROM t WHERE s = 'x  y'"), []));
  expect(queryHash('db', a, [])).not.toBe(queryHash('db', normalizeSql("SELECT a, b FROM t WHERE s = 'x y'"), []));
  expect(queryHash('db', a, [])).not.toBe(queryHash('other', a, []));
});

test('connections come from the file, with secrets only from TANDEM_* variables', () => {
  const connections = parseConnections(
    { warehouse: { type: 'postgres', host: 'db.internal', user: 'analyst', passwordEnv: 'TANDEM_WH_PASSWORD', maxConcurrent: 2 } },
    { TANDEM_WH_PASSWORD: 's3cret' },
  );
  expect([...connections.keys()]).toEqual(['demo', 'warehouse']);
  expect(connections.get('warehouse')).toEqual({
    name: 'warehouse',
    type: 'postgres',
    maxConcurrent: 2,
    client: { host: 'db.internal', user: 'analyst', password: 's3cret' },
  });
  const error = (raw: unknown, env: NodeJS.ProcessEnv = {}) => {
    try {
      parseConnections(raw, env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };
  // Kernels inherit every other variable, so notebook code could read the password.
  expect(error({ wh: { type: 'postgres', passwordEnv: 'PGPASSWORD' } }, { PGPASSWORD: 'x' })).toMatch(
    /passwordEnv must name a TANDEM_\* variable.*rename PGPASSWORD to TANDEM_PGPASSWORD/,
  );
  expect(error({ wh: { type: 'postgres', urlEnv: 'TANDEM_WH_URL' } })).toBe('Connection "wh": the environment variable TANDEM_WH_URL is not set');
  expect(error({ wh: { type: 'mysql' } })).toBe('Connection "wh": type must be "postgres" or "demo"');
  expect(error({ wh: { type: 'postgres', prot: 5432 } })).toBe('Connection "wh": prot must NOT have additional properties');
  expect(error({ wh: { type: 'postgres', port: 'x' } })).toBe('Connection "wh": port must be integer');
  expect(error({ 'bad name': { type: 'demo' } })).toMatch(/^Connection name "bad name" must be/);
  expect(error([])).toMatch(/must hold a JSON object/);
});
