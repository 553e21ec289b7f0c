// Loaded into a Tandem server under test with NODE_OPTIONS=--import: installs the resolve hook
// beside it, which records every bare package specifier the server imports.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
