// Where things are, relative to this file, so the bench runs from any working directory.
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const BENCH = resolve(REPO, 'bench');
export const WORK = resolve(BENCH, '.work');
export const NODE_MODULES = resolve(REPO, 'node_modules');
