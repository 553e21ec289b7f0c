// Tests start the server the way `npm start` runs it: the bundle in dist/. Building it here,
// once per test run, means a test never runs a bundle older than the sources it tests.
import { buildTandem } from '../bench/lib/bundle.js';

export default buildTandem;
