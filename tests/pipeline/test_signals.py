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
