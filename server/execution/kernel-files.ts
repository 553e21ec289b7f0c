// Files a kernel writes into the root (a CSV a cell saves, a figure) are stored beyond this
// machine too, and those it deletes or renames are deleted there: each time a notebook's kernel
// goes idle after work, the root is swept for new, changed and vanished files
// (storage/file-mirror.ts; nothing with the filesystem storage). What a sweep costs in requests
// is written where it is done (s3/s3-file-mirror.ts, sweepNow): none for an idle notebook, whose
// kernel never goes busy, nor for cells that wrote and deleted nothing. One sweep runs at a
// time; idles during one ask for one more after it, so no write is missed.

import type { NotebookExtension } from '../notebooks/notebook-extension';
import type { FileMirror } from '../storage/file-mirror';

export function kernelFilesExtension(files: FileMirror, log: { warn(obj: object, msg?: string): void }): NotebookExtension {
  let running = false;
  let again = false;
  const sweep = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    files
      .sweep()
      .catch((error: unknown) => log.warn({ err: error }, 'could not store the files kernels wrote'))
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          sweep();
        }
      });
  };
  return {
    attach: () => {
      let worked = false;
      return {
        kernelStatus: (status) => {
          if (status === 'busy') worked = true;
          else if (status === 'idle' && worked) {
            worked = false;
            sweep();
          }
        },
      };
    },
  };
}
