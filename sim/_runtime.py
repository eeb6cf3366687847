"""How pvsim runs inside the interpreter (no rule of the model lives here)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block and restore it afterwards (also on error; nested blocks
    leave it paused until the outer one ends). A run's garbage is freed by reference counting; a collection during
    the run only traverses the ~10^5 live generators, events and rows of a large county (the cycles left behind are
    collected after the block)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
