// Bytes per version and the time to make one, on generated notebooks of 110 KB and 5 MB: the
// plain encoded Yjs state against what the version store keeps (V2 encoding, deflated): a whole
// state first, then, after a few minutes' typing, only what changed.
// Run: npx tsx bench/version-size.ts

import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import type { NotebookJSON } from '../common/nbformat';
import { buildInitialUpdate, notebookFromDoc } from '../server/notebook/notebook-doc';
import { serializeNotebook } from '../server/notebook/serialize';
import { decodeVersionStates, encodeVersionState } from '../server/versions/version-state';
import { syntheticNotebook } from './lib/synthetic-notebook';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

async function measure(targetBytes: number): Promise<string> {
  const notebook = syntheticNotebook({ seed: 7, targetBytes }) as unknown as NotebookJSON;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, buildInitialUpdate(notebook));
  const cells = doc.getArray<Y.Map<unknown>>('cells');
  const plain = Y.encodeStateAsUpdate(doc).byteLength;
  const runs: number[] = [];
  let stored: Uint8Array = new Uint8Array();
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    stored = await encodeVersionState(doc);
    runs.push(performance.now() - start);
  }
  const since = Y.encodeStateVector(doc);
  // A few minutes' work: 200 keystrokes, one transaction each, at random places in 20 cells.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 200; i++) {
    const source = cells.get(random(20)).get('source') as Y.Text;
    source.insert(random(source.length + 1), 'etaoinshrdlu '[random(13)]);
  }
  const start = performance.now();
  const delta = await encodeVersionState(doc, since);
  const deltaMs = performance.now() - start;
  const rebuilt = await decodeVersionStates([stored, delta]);
  const same = serializeNotebook(notebookFromDoc(rebuilt)) === serializeNotebook(notebookFromDoc(doc));
  const median = runs.sort((a, b) => a - b)[2];
  const ipynb = serializeNotebook(notebookFromDoc(doc)).length;
  return `| ${kb(ipynb)} .ipynb, ${cells.length} cells | ${kb(plain)} | ${kb(stored.byteLength)} (${median.toFixed(0)} ms) | ${delta.byteLength} bytes (${deltaMs.toFixed(1)} ms) | ${same ? 'yes' : 'NO'} |`;
}

const rows = [await measure(110 * 1024), await measure(5 * 1024 * 1024)];
process.stdout.write(
  `| notebook | encoded state (V1) | first version, whole (time) | next version, after 200 keystrokes (time) | rebuilds the same notebook |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
);
