"""Runs a notebook with nbclient (the library papermill and `jupyter execute` use), as the
baseline of the job benchmark, and prints its phases as JSON on stdout:
  imports_s: Python importing nbformat and nbclient
  kernel_start_s: starting the python3 kernel and waiting until it answers
  cells_s: executing the cells one by one
  shutdown_s: shutting the kernel down
The executed notebook is written next to the input (OUT), as a run record would keep it.
Exit status 1 when a cell fails (nbclient raises CellExecutionError).

Usage: python3 nbclient-run.py NOTEBOOK OUT
"""

import json
import os
import sys
import time

t0 = time.monotonic()
import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

t_imported = time.monotonic()
path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": os.path.dirname(path)}})
with client.setup_kernel():
    t_started = time.monotonic()
    for index, cell in enumerate(nb.cells):
        client.execute_cell(cell, index)
    t_executed = time.monotonic()
t_shut = time.monotonic()
nbformat.write(nb, out)
print(
    json.dumps(
        {
            "imports_s": t_imported - t0,
            "kernel_start_s": t_started - t_imported,
            "cells_s": t_executed - t_started,
            "shutdown_s": t_shut - t_executed,
        }
    )
)
