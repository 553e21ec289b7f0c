// Where the `tandem` Python helper package lives, so every kernel Tandem starts can import it:
// SQL cells load their snapshots through it, and notebook code can report progress with it.

import { delimiter } from 'node:path';
import { projectPath } from '../project-files';

/** The directory to put on a kernel's PYTHONPATH: it holds the `tandem` package. */
export const HELPER_PYTHON_PATH = projectPath('images', 'tandem-helper', 'src');

/** PYTHONPATH for a kernel: the helper first, then whatever the server was given. */
export function kernelPythonPath(inherited: string | undefined = process.env.PYTHONPATH): string {
  return [HELPER_PYTHON_PATH, ...(inherited ?? '').split(delimiter).filter(Boolean)].join(delimiter);
}
