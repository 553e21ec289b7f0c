// The servers a run compares, in table order: Tandem first, the floor last.
import { floor } from './floor.js';
import { hocuspocus } from './hocuspocus.js';
import { jupyter } from './jupyter.js';
import { tandem } from './tandem.js';
import { tandemCluster } from './tandem-cluster.js';
import type { Flavor, Launcher } from './types.js';
import { yWebsocket } from './y-websocket.js';

export const LAUNCHERS: Record<Flavor, Launcher> = {
  tandem,
  'tandem-cluster': tandemCluster,
  'y-websocket': yWebsocket,
  hocuspocus,
  jupyter,
  floor,
};
