// Bytes per version and the time to make one, on generated notebooks of 110 KB and 5 MB:
// the plain encoded Yjs state against what the version store keeps (V2 encoding, deflated).
// Run: npx tsx bench/version-size.ts

import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import type { NotebookJSON } from '../common/nbformat';
import { buildInitialUpdate, notebookFromDoc } from '../server/notebook/notebook-doc';
import { serializeNotebook } from '../server/notebook/serialize';
import { decodeVersionState, encodeVersionState } from '../server/versions/version-state';
import { syntheticNotebook } from './lib/synthetic-notebook';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

async function measure(targetBytes: number): Promise<string> {
  const notebook = syntheticNotebook({ seed: 7, targetBytes }) as unknown as NotebookJSON;
  const doc = new Y.Doc();
  Y.applyUpdate(doc, buildInitialUpdate(notebook));
  // A session's worth of typing, so the state carries edit history as well as content.
  const cells = doc.getArray<Y.Map<unknown>>('cells');
  for (let i = 0; i < 200; i++) (cells.get(i % cells.length).get('source') as Y.Text).insert(0, `# edit ${i}\n`);
  const ipynb = serializeNotebook(notebookFromDoc(doc)).length;
  const plain = Y.encodeStateAsUpdate(doc).byteLength;
  const runs: number[] = [];
  let stored: Uint8Array = new Uint8Array();
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    stored = await encodeVersionState(doc);
    runs.push(performance.now() - start);
  }
  const rebuilt = await decodeVersionState(stored);
  const same = serializeNotebook(notebookFromDoc(rebuilt)).length === ipynb;
  const median = runs.sort((a, b) => a - b)[2];
  return `| ${kb(ipynb)} .ipynb, ${cells.length} cells | ${kb(plain)} | ${kb(stored.byteLength)} | ${(stored.byteLength / plain).toFixed(2)} | ${median.toFixed(0)} ms | ${same ? 'yes' : 'NO'} |`;
}

const rows = [await measure(110 * 1024), await measure(5 * 1024 * 1024)];
process.stdout.write(
  `| notebook | encoded state (V1) | stored version | ratio | time to encode | rebuilds the same notebook |\n| --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`,
);
