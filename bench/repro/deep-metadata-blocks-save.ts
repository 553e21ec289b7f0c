// Regression check: an editor who nests Y.Maps 20,000 deep in one cell's metadata (a valid Yjs
// update) once made the notebook unsaveable: every recursive reader (YMap.toJSON, Yjs's own
// garbage collection) overflowed the stack. The server now refuses such an update before
// applying it and closes that socket; a second editor's ordinary edit must still reach the
// .ipynb, the notebook must still be readable, and nothing may overflow.
// Found by `npm run fuzz` ("deep nesting in cell metadata"). Run: npx tsx bench/repro/deep-metadata-blocks-save.ts
import '../lib/quiet-yjs.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import { buildTandem } from '../lib/bundle.js';
import { cellsOf, typeInto } from '../lib/cells.js';
import { plainDialect } from '../lib/dialect.js';
import { LoadClient } from '../lib/load-client.js';
import { typingNotebook } from '../lib/notebooks.js';
import { api, importNotebook, urlOf } from '../lib/rooms.js';
import { WORK } from '../servers/paths.js';
import { startTandem } from '../servers/tandem.js';
import { sleep } from '../suites/common.js';

const workDir = join(WORK, 'repro-deep-metadata');
rmSync(workDir, { recursive: true, force: true });
buildTandem();
const server = await startTandem({ workDir, logFile: join(workDir, 'server.log') });
const s = server.info;
const { fileId, sessionId } = await importNotebook(s, 'deep.ipynb', typingNotebook(2));
const url = urlOf({ serverUrl: `ws://${s.host}:${s.port}/api/collaboration/room`, roomName: `json:notebook:${fileId}`, params: { sessionId, token: s.token } });
const doc = new Y.Doc();
const editor = new LoadClient({ url, dialect: plainDialect, doc });
await editor.connect();
await editor.sync();

// 1. The hostile but valid update.
doc.transact(() => {
  const top = new Y.Map<unknown>();
  cellsOf(doc).get(0).set('metadata', top);
  let m = top;
  for (let i = 0; i < 20_000; i++) {
    const next = new Y.Map<unknown>();
    m.set('a', next);
    m = next;
  }
});
// 2. An ordinary edit afterwards, in another cell, from another editor (the hostile socket
// is closed by the server).
const otherDoc = new Y.Doc();
const other = new LoadClient({ url, dialect: plainDialect, doc: otherDoc });
await other.connect();
await other.sync();
typeInto(otherDoc, 1, 'an ordinary edit that should reach the file');
await sleep(8000); // well past the save debounce

const onDisk = readFileSync(join(s.root!, 'deep.ipynb'), 'utf8');
const contents = await api(s, 'GET', '/api/contents/deep.ipynb?content=1').then(
  () => 'HTTP 200',
  (err: Error) => err.message.slice(0, 120),
);
const failures = readFileSync(join(workDir, 'server.log'), 'utf8')
  .split('\n')
  .filter((l) => l.includes('Maximum call stack')).length;
console.log(`ordinary edit saved to disk: ${onDisk.includes('an ordinary edit')}`);
console.log(`GET /api/contents/deep.ipynb: ${contents}`);
console.log(`stack overflows in the server log: ${failures}`);
editor.destroy();
other.destroy();
await server.stop();
process.exit(onDisk.includes('an ordinary edit') && failures === 0 ? 0 : 1);
