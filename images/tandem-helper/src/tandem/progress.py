"""Progress bars that every viewer of a Tandem notebook sees.

``progress`` wraps an iterable like tqdm does. In a kernel it shows one display output and
updates it in place (a few times a second, not per item) with Tandem's progress MIME type,
which Tandem's client draws as a bar, and a plain-text bar for other frontends. Outside a
kernel it writes the text bar to stderr.
"""

import sys
import time

PROGRESS_MIME = "application/vnd.tandem.progress+json"
_INTERVAL_S = 0.25
_WIDTH = 30


def _text(label, current, total):
    prefix = "%s: " % label if label else ""
    if total:
        filled = int(_WIDTH * min(current, total) / total)
        return "%s[%s%s] %d/%d (%d%%)" % (prefix, "#" * filled, "." * (_WIDTH - filled), current, total, 100 * current // total)
    return "%s%d" % (prefix, current)


def _bundle(label, current, total):
    value = {"current": current}
    if total is not None:
        value["total"] = total
    if label is not None:
        value["label"] = label
    return {PROGRESS_MIME: value, "text/plain": _text(label, current, total)}


class _Display:
    """Where the bar goes: an IPython display handle, or stderr."""

    def __init__(self, bundle):
        self.handle = None
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                self.handle = display(bundle, raw=True, display_id=True)
                return
        except ImportError:
            pass
        sys.stderr.write("\r" + bundle["text/plain"])

    def update(self, bundle, final=False):
        if self.handle is not None:
            self.handle.update(bundle, raw=True)
        else:
            sys.stderr.write("\r" + bundle["text/plain"] + ("\n" if final else ""))


def progress(iterable, total=None, label=None):
    """Yields the items of ``iterable`` while showing how far along it is.

    ``total`` defaults to ``len(iterable)`` when it has one; without a total the bar shows a
    count. ``label`` is shown beside the bar.
    """
    if total is None:
        try:
            total = len(iterable)
        except (TypeError, AttributeError):
            total = None
    current = 0
    shown = _Display(_bundle(label, 0, total))
    last = time.monotonic()
    try:
        for item in iterable:
            yield item
            current += 1
            now = time.monotonic()
            if now - last >= _INTERVAL_S:
                shown.update(_bundle(label, current, total))
                last = now
    finally:
        # Also when the loop stops early: the bar shows where it got to.
        shown.update(_bundle(label, current, total), final=True)
