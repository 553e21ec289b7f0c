// The made-up notebooks that stand in for real ones (tests, bench): valid nbformat 4.5, the
// same for the same seed, and holding what real analysis notebooks hold.
import { inflateSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { readNotebookJSON } from '../../server/notebook/validate';
import { syntheticNotebook } from '../helpers/notebooks';

type Output = Record<string, unknown> & { output_type: string; data?: Record<string, unknown> };
type Cell = { cell_type: string; outputs?: Output[] };

test('a generated notebook is valid nbformat 4.5, with no warnings', () => {
  const nb = syntheticNotebook({ seed: 1, targetBytes: 300_000 });
  expect(JSON.stringify(nb).length).toBeGreaterThan(300_000);
  expect(readNotebookJSON(structuredClone(nb)).warnings).toEqual([]);
});

test('the same seed gives the same notebook, another seed another one', () => {
  const a = JSON.stringify(syntheticNotebook({ seed: 5, targetBytes: 100_000 }));
  expect(JSON.stringify(syntheticNotebook({ seed: 5, targetBytes: 100_000 }))).toBe(a);
  expect(JSON.stringify(syntheticNotebook({ seed: 6, targetBytes: 100_000 }))).not.toBe(a);
});

test('even a small one holds markdown, raw, and code with every kind of output', () => {
  const cells = syntheticNotebook({ seed: 2, targetBytes: 1 }).cells as unknown as Cell[];
  expect(new Set(cells.map((c) => c.cell_type))).toEqual(new Set(['markdown', 'code', 'raw']));
  const outputs = cells.flatMap((c) => c.outputs ?? []);
  expect(new Set(outputs.map((o) => o.output_type))).toEqual(new Set(['stream', 'execute_result', 'display_data', 'error']));
  expect(outputs.some((o) => o.output_type === 'stream' && o.name === 'stderr')).toBe(true);
  expect(outputs.some((o) => typeof o.data?.['text/html'] !== 'undefined' && String(o.data['text/html']).includes('<table'))).toBe(true);
  const traceback = outputs.find((o) => o.output_type === 'error')!.traceback as string[];
  expect(traceback.join('\n')).toMatch(/\u001b\[0;31m/);
});

test('its figures are real PNG images', () => {
  const figures = (syntheticNotebook({ seed: 3, targetBytes: 200_000 }).cells as unknown as Cell[])
    .flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data?.['image/png']);
  expect(figures.length).toBeGreaterThan(3);
  for (const figure of figures) {
    const png = Buffer.from(String(figure.data!['image/png']), 'base64');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    // The image data inflates to one filter byte and width RGB pixels per row.
    const idat = png.indexOf('IDAT');
    const length = png.readUInt32BE(idat - 4);
    expect(inflateSync(png.subarray(idat + 4, idat + 4 + length)).length).toBe(height * (width * 3 + 1));
  }
});
