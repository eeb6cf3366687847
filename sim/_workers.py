"""What each local Dask worker of pvsim runs when it starts (a module of its own: it imports ``distributed``, which
only a comparison or a sweep needs)."""

from __future__ import annotations

import signal
import threading

from distributed.diagnostics.plugin import WorkerPlugin


def ignore_sigint() -> None:
    """Run on each local worker (in its main thread): ignore SIGINT, so that a Ctrl-C in the terminal is handled by
    pvsim alone, which closes the cluster, instead of every worker printing its traceback."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class IgnoreSigint(WorkerPlugin):
    """Every worker, including one its nanny restarts after a crash, ignores SIGINT (:func:`ignore_sigint`)."""

    def setup(self, worker) -> None:
        ignore_sigint()
