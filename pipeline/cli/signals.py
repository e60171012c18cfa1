"""Stop and reload requests from signals, for the long-running commands (``run``, ``matcher``).

The handlers only set events and flags; the command's main loop does the work.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from detectors.signal_stack import ensure_signal_stack

log = logging.getLogger(__name__)


class Signals:
    """SIGTERM and SIGINT set ``stop``; with ``reload``, SIGHUP sets ``reload_requested``. Both
    set ``wake``, so a main loop waiting on it reacts at once."""

    def __init__(self, *, reload: bool = False, stopping: str | None = None) -> None:
        """``stopping``, when given, is logged with the signal's name (``"matcher: %s received,
        finishing the batch"``)."""
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.reload_requested = False
        self._reload = reload
        self._stopping = stopping

    def install(self) -> None:
        # Before the handlers: a native library can leave this thread a signal stack too small
        # for the CPU's state (AMX), and a signal would then crash the process (signal_stack.py).
        ensure_signal_stack()
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        if self._reload and hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        if self._stopping is not None:
            log.info(self._stopping, signal.Signals(signum).name)
        self.stop.set()
        self.wake.set()

    def _on_reload(self, signum: int, _frame: FrameType | None) -> None:
        self.reload_requested = True
        self.wake.set()
