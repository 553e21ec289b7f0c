// Imported first by a test file that runs another suite against the container runtime: every
// server that suite starts inherits these TANDEM_* settings (test/helpers/tandem.ts passes the
// test process's environment on), so the suite itself needs no change.

import { prepareContainerImages } from './support';

const base = prepareContainerImages();
process.env.TANDEM_RUNTIME = 'container';
process.env.TANDEM_KERNEL_BASE_IMAGE = base;
// The output-flood test makes the kernel queue up to ZeroMQ's high-water mark of 1000 messages
// of 1 MB each (the server's setup code caps a message at about a megabyte) while the server
// drains them: at 512m the container is killed by its memory limit before the test can
// interrupt it. Local kernels do the same, without a limit.
process.env.TANDEM_KERNEL_MEMORY = '2g';
process.env.TANDEM_KERNEL_CPUS = '1';
// The suite's notebooks sit at the top of a root that holds the state directory, which a warm
// container cannot hide: they would start cold anyway, so no container is kept warm for them.
process.env.TANDEM_WARM_POOL = '0';
