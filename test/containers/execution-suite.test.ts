// The execution suite (queueing, interrupt, input(), cancel, restart, os._exit crash detection,
// output floods, shutdown), run once more with every kernel in a container: the rest of the
// server cannot tell the runtimes apart (DESIGN.md section 8, issue 16).

import './use-container-runtime';
import '../execution/queue-and-lifecycle.test';
