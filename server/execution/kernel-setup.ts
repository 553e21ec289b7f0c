// Code Tandem runs silently in every new Python kernel.
//
// ipykernel sends stdout from a background thread a few times a second, buffering what was
// printed in between without limit. A loop that prints as fast as it can starves that
// thread, and one stream message grows to hundreds of megabytes, which would then have to be
// received and parsed whole. Past a megabyte, a write here waits for the buffer to be sent:
// the printing slows to what the server can take, and memory stays bounded on both sides.
// Kernels other than ipykernel (no `_buffer`) are left as they are.

export const PYTHON_KERNEL_SETUP = `
def __tandem_bound_output(limit=1 << 20):
    import sys
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "_buffer", None) is None or getattr(stream, "_tandem_bounded", False):
            continue
        original = stream.write
        def write(text, _original=original, _stream=stream):
            written = _original(text)
            try:
                if _stream._buffer.tell() > limit:
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
