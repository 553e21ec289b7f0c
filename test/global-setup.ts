// Tests start the server the way `npm start` runs it: the bundle in dist/. Building it here,
// once per test run, means a test never runs a bundle older than the sources it tests.
//
// The run also marks its environment, which every process a test starts inherits, so that at
// the end anything still running (a server or kernel whose test failed before stopping it) is
// stopped and named: `npm test` leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { buildTandem } from '../bench/lib/bundle.js';
import { markedWith, RUN_MARKER, stopProcesses } from './helpers/leftovers';

export default function setup(): () => Promise<void> {
  buildTandem();
  const run = randomUUID();
  process.env[RUN_MARKER] = run;
  return async () => {
    const stopped = await stopProcesses(markedWith(run));
    if (stopped.length) {
      process.stderr.write(`\nTests left ${stopped.length} process(es) running; stopped them:\n  ${stopped.join('\n  ')}\n`);
    }
  };
}
