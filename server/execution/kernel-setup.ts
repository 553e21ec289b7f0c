// How Tandem sets up every Python kernel it starts: the `tandem` helper package on its path (SQL
// cells load their snapshots through it, and notebook code reports progress with it), and code
// run silently before anything else.
//
// ipykernel sends stdout from a background thread a few times a second, buffering what was
// printed in between without limit. A loop that prints as fast as it can starves that
// thread, and one stream message grows to hundreds of megabytes, which would then have to be
// received and parsed whole. Past a megabyte, a write here waits for the buffer to be sent:
// the printing slows to what the server can take, and memory stays bounded on both sides.
// ipykernel up to 6.2x keeps one `_buffer`, later ones a `_buffers` dict (one per parent
// message); kernels other than ipykernel have neither and are left as they are.

import { delimiter } from 'node:path';
import { type KernelHandle, type KernelSessionOptions, openKernel } from '../../kernel-bridge';
import { projectPath } from '../project-files';

export const PYTHON_KERNEL_SETUP = `
def __tandem_bound_output(limit=1 << 20):
    import sys
    def buffered(stream):
        one = getattr(stream, "_buffer", None)
        if one is not None:
            return one.tell()
        return sum(part.tell() for part in list(stream._buffers.values()))
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "_buffer", getattr(stream, "_buffers", None)) is None or getattr(stream, "_tandem_bounded", False):
            continue
        original = stream.write
        def write(text, _original=original, _stream=stream):
            written = _original(text)
            try:
                if buffered(_stream) > limit:
                    _stream.flush()
            except Exception:
                pass
            return written
        stream.write = write
        stream._tandem_bounded = True
try:
    __tandem_bound_output()
finally:
    del __tandem_bound_output
`;

/** The directory to put on a kernel's PYTHONPATH: it holds the `tandem` package. */
export const HELPER_PYTHON_PATH = projectPath('images', 'tandem-helper', 'src');

/** PYTHONPATH for a kernel: the helper first, then whatever the server was given. */
export function kernelPythonPath(inherited: string | undefined = process.env.PYTHONPATH): string {
  return [HELPER_PYTHON_PATH, ...(inherited ?? '').split(delimiter).filter(Boolean)].join(delimiter);
}

/**
 * Opens a kernel as Tandem starts every one (a notebook's, a job's, a standalone one): the
 * helper importable, and a Python kernel's output bounded before anything else runs.
 */
export function openTandemKernel(options: KernelSessionOptions): KernelHandle {
  return openKernel({
    ...options,
    env: { ...options.env, PYTHONPATH: kernelPythonPath(options.env?.PYTHONPATH ?? process.env.PYTHONPATH) },
    setupCode: options.spec.language === 'python' ? PYTHON_KERNEL_SETUP : undefined,
  });
}
