// The provider check, once per run and server: the cheap load client and the real y-websocket
// provider (with @jupyter/ydoc) edit one notebook at once, and must end with the same document
// as each other and as a client that joins afterwards. If they did not, the load client's
// figures would be for a protocol nobody speaks.
import * as Y from 'yjs';
import type { ConformanceParams } from '../config.js';
import { cellsOf, newCell, typeInto } from '../lib/cells.js';
import { LoadClient } from '../lib/load-client.js';
import { docContent, sizedNotebook } from '../lib/notebooks.js';
import { realClient, whenSynced } from '../lib/provider.js';
import { openRoom } from '../lib/rooms.js';
import { converged, sleep, waitUntil } from './common.js';
import type { Suite } from './types.js';

export const conformance: Suite<ConformanceParams> = async ({ server, params }) => {
  if (server.flavor === 'hocuspocus') {
    return {
      metrics: [{ label: 'load client matches the y-websocket provider', unit: 'yes/no', value: null, better: 'higher' }],
      notes: [
        "Hocuspocus speaks its own framing, which y-websocket's provider does not; the pairing run checks the load client against it instead (all replicas equal).",
      ],
    };
  }
  const room = await openRoom(server, 'conformance', sizedNotebook(12_000));
  const cheapDoc = new Y.Doc();
  const cheap = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: cheapDoc });
  await cheap.connect();
  await cheap.sync();
  const real = realClient(room.provider('editor'));
  if (!(await whenSynced(real.provider, 10_000))) throw new Error('the y-websocket provider did not sync');

  const model = real.notebook;
  for (let i = 0; i < params.edits; i++) {
    const r = Math.random();
    if (i % 2 === 0) {
      // The load client: typing, new cells, deleted cells, on the raw document.
      const n = cellsOf(cheapDoc).length;
      if (r < 0.7 && n > 0) typeInto(cheapDoc, Math.floor(Math.random() * n), `cheap ${i};`);
      else if (r < 0.9 || n < 3) cellsOf(cheapDoc).insert(Math.floor(Math.random() * (n + 1)), [newCell(`# cheap cell ${i}\n`)]);
      else cellsOf(cheapDoc).delete(Math.floor(Math.random() * n), 1);
    } else {
      // The provider's user, through YNotebook's API as JupyterLab does it.
      const n = model.cells.length;
      if (r < 0.7 && n > 0) {
        const cell = model.getCell(Math.floor(Math.random() * n));
        cell.updateSource(cell.source.length, cell.source.length, `real ${i};`);
      } else if (r < 0.9 || n < 3) {
        model.insertCell(Math.floor(Math.random() * (n + 1)), { cell_type: 'markdown', source: `real cell ${i}` });
      } else {
        model.deleteCell(Math.floor(Math.random() * n));
      }
    }
    if (i % 10 === 0) await sleep(5);
  }
  const agreed = await waitUntil(() => converged([cheapDoc, model.ydoc]), 15_000, 50);
  const lateDoc = new Y.Doc();
  const late = new LoadClient({ url: room.url('editor'), dialect: room.dialect, doc: lateDoc });
  await late.connect();
  await late.sync();
  const a = JSON.stringify(docContent(cheapDoc));
  const same = agreed && a === JSON.stringify(docContent(model.ydoc)) && a === JSON.stringify(docContent(lateDoc));
  real.destroy();
  cheap.destroy();
  late.destroy();
  await room.close();
  return {
    metrics: [{ label: 'load client matches the y-websocket provider', unit: 'yes/no', value: same ? 1 : 0, better: 'higher' }],
    notes: same ? [] : ['The load client and the provider ended with different documents.'],
  };
};
