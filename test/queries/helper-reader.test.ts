// The helper package reads what the server writes: a snapshot file made by the server's Arrow
// writer, read back in Python (numpy reader; and pyarrow too where it is installed), across
// batch boundaries, with nulls and edge values in every column kind.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { HELPER_PYTHON_PATH } from '../../server/execution/kernel-setup';
import { IpcFileWriter } from '../../server/queries/arrow/ipc-file-writer';
import { columnFor } from '../../server/queries/arrow/pg-columns';

const dir = mkdtempSync(join(tmpdir(), 'tandem-arrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PYTHON = process.env.TANDEM_TEST_PYTHON ?? '/usr/bin/python3';
const ROWS = 40_000; // more than two record batches

const READ = `
import json, sys
import pandas as pd
from tandem import snapshots
columns = json.loads(sys.argv[2])
data = open(sys.argv[1], 'rb').read()
frames = {'numpy': snapshots._read_with_numpy(data, columns)}
try:
    import pyarrow
    frames['pyarrow'] = snapshots._read_with_pyarrow(pyarrow, data, columns)
except ImportError:
    pass
def cell(v):
    if isinstance(v, bytes):
        return v.hex()
    return None if pd.isna(v) else str(v)
out = {}
for name, df in frames.items():
    picked = df.iloc[[0, 1, 2, 20000, len(df) - 1]]
    out[name] = {'len': len(df), 'dtypes': {c: str(t) for c, t in df.dtypes.items()}, 'rows': [[cell(v) for v in row] for row in picked.astype(object).values.tolist()]}
print(json.dumps(out))
`;

test('a snapshot written by the server loads in Python with the documented dtypes', async () => {
  const columns = [
    columnFor('i16', 21),
    columnFor('i32', 23),
    columnFor('i64', 20),
    columnFor('f32', 700),
    columnFor('f64', 701),
    columnFor('num', 1700),
    columnFor('flag', 16),
    columnFor('day', 1082),
    columnFor('at', 1184),
    columnFor('local', 1114),
    columnFor('label', 25),
    columnFor('bytes', 17),
    columnFor('doc', 3802),
  ];
  const path = join(dir, 'typed.arrow');
  const writer = await IpcFileWriter.create(path);
  writer.setColumns(columns);
  const rows: (string | null)[][] = [];
  for (let n = 0; n < ROWS; n++) {
    if (n === 1) rows.push(columns.map(() => null));
    else if (n === 2)
      rows.push([
        '-32768',
        '2147483647',
        '-9223372036854775808',
        'Infinity',
        'NaN',
        '-0.5',
        'f',
        '1677-01-01',
        'infinity',
        '2262-04-12 00:00:00',
        '',
        '\\x',
        '{}',
      ]);
    else
      rows.push([
        String(n % 30000),
        String(n),
        String(BigInt(n) * 1_000_000_007n),
        '0.25',
        String(n / 4),
        '12.34',
        n % 2 ? 't' : 'f',
        '2024-02-29',
        '2024-02-29 12:34:56.789012+05:30',
        '2024-02-29 23:59:59.999999',
        `row ${n} · ünïcode`,
        '\\xdeadbeef',
        '{"n": 1}',
      ]);
  }
  await writer.append(rows);
  const written = await writer.finish();
  expect(written.rows).toBe(ROWS);

  const output = execFileSync(PYTHON, ['-c', READ, path, JSON.stringify(columns)], { env: { ...process.env, PYTHONPATH: HELPER_PYTHON_PATH } }).toString();
  const results = JSON.parse(output) as Record<string, { len: number; dtypes: Record<string, string>; rows: (string | null)[][] }>;
  for (const result of Object.values(results)) {
    expect(result.len).toBe(ROWS);
    expect(result.dtypes).toEqual({
      i16: 'Int16',
      i32: 'Int32',
      i64: 'Int64',
      f32: 'float32',
      f64: 'float64',
      num: 'float64',
      flag: 'boolean',
      day: 'datetime64[ns]',
      at: 'datetime64[ns, UTC]',
      local: 'datetime64[ns]',
      label: 'object',
      bytes: 'object',
      doc: 'object',
    });
    expect(result.rows[0]).toEqual([
      '0',
      '0',
      '0',
      '0.25',
      '0.0',
      '12.34',
      'False',
      '2024-02-29 00:00:00',
      '2024-02-29 07:04:56.789012+00:00',
      '2024-02-29 23:59:59.999999',
      'row 0 · ünïcode',
      'deadbeef',
      '{"n": 1}',
    ]);
    expect(result.rows[1]).toEqual(columns.map(() => null));
    // Values pandas cannot hold as datetime64[ns] become NaT; infinities stay floats.
    expect(result.rows[2]).toEqual(['-32768', '2147483647', '-9223372036854775808', 'inf', null, '-0.5', 'False', null, null, null, '', '', '{}']);
    expect(result.rows[3][1]).toBe('20000');
    expect(result.rows[4][10]).toBe(`row ${ROWS - 1} · ünïcode`);
  }
  if (results.pyarrow) expect(results.pyarrow).toEqual(results.numpy);
});
