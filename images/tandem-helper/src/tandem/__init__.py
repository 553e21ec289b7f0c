"""Tandem's helper inside kernels: SQL cell results and progress bars.

Tandem puts this package on every kernel's PYTHONPATH.
"""

from .progress import progress
from .snapshots import read_snapshot

__all__ = ["progress", "read_snapshot"]
__version__ = "0.1.0"
