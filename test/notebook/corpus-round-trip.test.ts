// Notebooks go in through the contents API and a room, and come out unchanged in content:
// nbformat's own test notebooks (vendored) and large realistic ones made up from a seed.
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readNotebookJSON } from '../../server/notebook/validate';
import { connectNotebook } from '../helpers/clients';
import { NBFORMAT_FIXTURES, nbformatFixtures, syntheticNotebook } from '../helpers/notebooks';
import { startTandem, type TandemProcess } from '../helpers/tandem';

type Json = Record<string, unknown>;

// nbformat's on-disk form splits multi-line strings into lists of lines; content is the
// same either way. Joining here is independent of the server's own code.
function normalise(nb: Json): Json {
  const copy = structuredClone(nb) as { cells: Json[] } & Json;
  const join = (v: unknown) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v.join('') : v);
  const joinBundle = (bundle: Json) => {
    for (const [mime, value] of Object.entries(bundle)) {
      if (!(mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json')))) bundle[mime] = join(value);
    }
  };
  for (const cell of copy.cells) {
    if ('source' in cell) cell.source = join(cell.source);
    for (const attachment of Object.values((cell.attachments as Record<string, Json> | undefined) ?? {})) joinBundle(attachment);
    for (const output of (cell.outputs as Json[] | undefined) ?? []) {
      if ('text' in output) output.text = join(output.text);
      if (output.data) joinBundle(output.data as Json);
    }
  }
  return copy;
}

let server: TandemProcess;
beforeAll(async () => {
  server = await startTandem();
});
afterAll(async () => {
  await server.stop();
});

/** Large notebooks with every kind of output: figures, tables, streams, tracebacks. */
const generated = [
  { name: 'generated-analysis.ipynb', json: syntheticNotebook({ seed: 11, targetBytes: 250_000 }) as unknown },
  { name: 'generated-long-report.ipynb', json: syntheticNotebook({ seed: 12, targetBytes: 1_200_000 }) as unknown },
];

describe('every test notebook round-trips through the contents API and a room unchanged', () => {
  for (const { name, json } of [...nbformatFixtures('notebooks'), ...generated]) {
    test(name, async () => {
      const put = await server.api('PUT', `/api/contents/${name}`, { type: 'notebook', format: 'json', content: json });
      expect(put.status).toBe(201);
      const client = await connectNotebook(server, name);
      const live = await (await server.api('GET', `/api/contents/${name}?content=1`)).json();
      expect(normalise(live.content)).toEqual(normalise(json as Json));
      const onDisk = JSON.parse(readFileSync(join(server.root, name), 'utf8')) as Json;
      expect(normalise(onDisk)).toEqual(normalise(json as Json));
      // Schema: the saved file reads back with no more complaints than the original had.
      expect(readNotebookJSON(onDisk).warnings).toEqual(readNotebookJSON(json).warnings);
      // A Jupyter collaborative client sees the same cells and sources.
      const cells = (json as { cells: Json[] }).cells;
      expect(client.notebook.cells.map((c) => c.getSource())).toEqual(cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : (c.source ?? ''))));
      client.destroy();
    });
  }
});

test('opening a notebook and changing nothing leaves its file byte for byte as it was', async () => {
  // Written as another tool might (unsorted keys, two-space indent): nothing must rewrite it.
  const name = 'generated.ipynb';
  writeFileSync(join(server.root, `untouched-${name}`), JSON.stringify(syntheticNotebook({ seed: 13, targetBytes: 400_000 }), null, 2));
  const before = readFileSync(join(server.root, `untouched-${name}`));
  const mtime = statSync(join(server.root, `untouched-${name}`)).mtimeMs;
  const client = await connectNotebook(server, `untouched-${name}`);
  await new Promise((r) => setTimeout(r, 1500));
  client.destroy();
  expect(readFileSync(join(server.root, `untouched-${name}`)).equals(before)).toBe(true);
  expect(statSync(join(server.root, `untouched-${name}`)).mtimeMs).toBe(mtime);
});

describe('every invalid nbformat test notebook is refused with 400, and the file on disk is untouched', () => {
  for (const { name, json } of nbformatFixtures('invalid')) {
    test(name, async () => {
      const path = join(server.root, `existing-${name}`);
      const original = JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] });
      writeFileSync(path, original);
      const response = await server.api('PUT', `/api/contents/existing-${name}`, { type: 'notebook', format: 'json', content: json });
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.message).toMatch(/^Invalid notebook: \/\S* /);
      expect(readFileSync(path, 'utf8')).toBe(original);
    });
  }
});

describe('nbformat 3 notebooks are upgraded to version 4 on open', () => {
  for (const { name } of nbformatFixtures('nbformat3')) {
    test(name, async () => {
      copyFileSync(join(NBFORMAT_FIXTURES, 'nbformat3', name), join(server.root, name));
      const model = await (await server.api('GET', `/api/contents/${name}`)).json();
      expect(model.content.nbformat).toBe(4);
      expect(readNotebookJSON(model.content).warnings).toEqual([]);
      const client = await connectNotebook(server, name);
      expect(client.notebook.nbformat).toBe(4);
      expect(client.notebook.cells.length).toBe(model.content.cells.length);
      client.destroy();
    });
  }
});
