"""The signal helper of the long-running commands: handlers only set events and flags."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from pipeline.cli.signals import Signals


@pytest.fixture
def restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def test_reload_then_stop(restored: None) -> None:
    signals = Signals(reload=True)
    signals.install()

    os.kill(os.getpid(), signal.SIGHUP)
    assert signals.reload_requested and signals.wake.is_set()
    assert not signals.stop.is_set()

    signals.wake.clear()
    os.kill(os.getpid(), signal.SIGTERM)
    assert signals.stop.is_set() and signals.wake.is_set()


def test_without_reload_sighup_is_left_alone(restored: None) -> None:
    before = signal.getsignal(signal.SIGHUP)
    Signals().install()
    assert signal.getsignal(signal.SIGHUP) is before


def test_stopping_is_logged_with_the_signal(
    restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    signals = Signals(stopping="matcher: %s received, finishing the batch")
    signals.install()
    with caplog.at_level("INFO"):
        os.kill(os.getpid(), signal.SIGINT)
    assert signals.stop.is_set()
    assert "matcher: SIGINT received, finishing the batch" in caplog.text


def test_handlers_get_a_signal_stack_big_enough_for_the_cpu_state(restored: None) -> None:
    """A library can leave the main thread a small alternate signal stack; with AMX state the
    kernel's signal frame did not fit in it and SIGHUP crashed the worker (signal_stack.py)."""
    import ctypes

    from detectors import signal_stack

    if signal_stack.current_signal_stack() is None:
        pytest.skip("no sigaltstack on this platform")
    small = ctypes.create_string_buffer(16 * 1024)  # what the library left: 20 KiB were seen
    stack = signal_stack._StackT(ctypes.cast(small, ctypes.c_void_p).value, 0, 16 * 1024)
    libc = signal_stack._libc()
    assert libc is not None and libc.sigaltstack(ctypes.byref(stack), None) == 0
    assert signal_stack.current_signal_stack() == (16 * 1024, True)

    signals = Signals(reload=True)
    signals.install()
    size, enabled = signal_stack.current_signal_stack() or (0, False)
    assert enabled and size >= signal_stack.STACK_BYTES
    os.kill(os.getpid(), signal.SIGHUP)
    assert signals.reload_requested
