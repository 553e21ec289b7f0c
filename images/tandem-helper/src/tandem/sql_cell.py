"""What a SQL cell runs in the kernel.

The server runs the query itself and stores the result as a snapshot; it gives the kernel a
line calling ``run_cell`` with a JSON spec. For a pinned snapshot the spec holds the data
file; otherwise it names a status file the server writes when the query is stored, failed or
was cancelled. ``run_cell`` waits for that, binds the data frame to the cell's name in the
notebook's namespace, and shows a preview: the first rows, the row count, and where the data
came from.
"""

import datetime
import html
import json
import os
import time

from .snapshots import read_snapshot

QUERY_RESULT_MIME = "application/vnd.tandem.query-result+json"
PREVIEW_ROWS = 10


class SqlQueryError(Exception):
    """The query failed, or the cell could not be run; the message says why."""


def _wait_for(path):
    # Polls with a short sleep: the kernel and server share only the local disk. An interrupt
    # (KeyboardInterrupt) ends the wait, and the server then cancels the query.
    delay = 0.01
    while True:
        try:
            with open(path, "r", encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)


def _age(epoch_ms):
    seconds = max(0, time.time() - epoch_ms / 1000)
    if seconds < 60:
        return "%d s ago" % seconds
    if seconds < 3600:
        return "%d min ago" % (seconds // 60)
    if seconds < 86400:
        return "%.1f h ago" % (seconds / 3600)
    return "%d days ago" % (seconds // 86400)


def _describe(name, ready, frame, mode):
    snapshot = ready["snapshot"]
    fetched = datetime.datetime.fromtimestamp(snapshot["finishedAt"] / 1000, tz=datetime.timezone.utc)
    rows = snapshot["rows"]
    choice = "pinned snapshot" if ready.get("pinned") else "snapshot"
    return "%s: %s row%s \u00d7 %d column%s from %s \u00b7 %s %s \u00b7 fetched %s (%s) \u00b7 %s" % (
        name,
        format(rows, ","),
        "" if rows == 1 else "s",
        frame.shape[1],
        "" if frame.shape[1] == 1 else "s",
        snapshot["connection"],
        choice,
        snapshot["id"][:12],
        fetched.strftime("%Y-%m-%d %H:%M:%S UTC"),
        _age(snapshot["finishedAt"]),
        mode,
    )


def _show(name, ready, frame, mode):
    from IPython.display import display

    caption = _describe(name, ready, frame, mode)
    head = frame.head(PREVIEW_ROWS)
    more = "" if len(frame) <= PREVIEW_ROWS else "\n\u2026 %s more rows" % format(len(frame) - PREVIEW_ROWS, ",")
    snapshot = ready["snapshot"]
    display(
        {
            "text/plain": "%s\n%s%s" % (caption, head.to_string(), more),
            "text/html": '<div class="tandem-query-result"><p>%s</p>%s%s</div>'
            % (html.escape(caption), head.to_html(max_cols=50, border=0), "<p>%s</p>" % html.escape(more.strip()) if more else ""),
            QUERY_RESULT_MIME: {
                "name": name,
                "snapshotId": snapshot["id"],
                "connection": snapshot["connection"],
                "rows": snapshot["rows"],
                "columns": [{"name": c["name"], "kind": c["kind"], "pgType": c["pgType"]} for c in snapshot["columns"]],
                "fetchedAt": snapshot["finishedAt"],
                "pinned": bool(ready.get("pinned")),
                "mode": mode,
            },
        },
        raw=True,
    )


def _namespace():
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        return shell.user_ns
    import __main__

    return __main__.__dict__


def run_cell(spec_json):
    __tracebackhide__ = True  # noqa: F841 (IPython leaves this frame out of tracebacks)
    spec = json.loads(spec_json)
    outcome = spec.get("outcome") or _wait_for(spec["statusFile"])
    state = outcome["state"]
    if state == "error":
        raise SqlQueryError(outcome["message"])
    if state == "cancelled":
        print(outcome["message"])
        return None
    ready = outcome
    frame = read_snapshot(ready["dataPath"], ready["snapshot"]["columns"])
    _namespace()[spec["name"]] = frame
    _show(spec["name"], ready, frame, spec["mode"])
    return None
