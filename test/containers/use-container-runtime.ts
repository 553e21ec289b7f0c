// Imported first by a test file that runs another suite against the container runtime: every
// server that suite starts inherits these TANDEM_* settings (test/helpers/tandem.ts passes the
// test process's environment on), so the suite itself needs no change.

import { prepareContainerImages } from './support';

const base = prepareContainerImages();
process.env.TANDEM_RUNTIME = 'container';
process.env.TANDEM_KERNEL_BASE_IMAGE = base;
process.env.TANDEM_KERNEL_MEMORY = '512m';
process.env.TANDEM_KERNEL_CPUS = '1';
