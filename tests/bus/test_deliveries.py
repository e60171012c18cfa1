"""DeliveryTracker: a flush waits for the records sent before it, and only for those."""

import threading

import pytest

from pipeline.bus import PublishError
from pipeline.bus.deliveries import DeliveryTracker


def test_wait_returns_the_failures_of_the_records_sent_before_it() -> None:
    tracker = DeliveryTracker()
    a, b, c = tracker.sent(), tracker.sent(), tracker.sent()
    tracker.settle(b)
    with pytest.raises(PublishError, match="2 records undelivered"):
        tracker.wait(0.05)
    tracker.settle(c, "flags/51F22222: too large")
    tracker.settle(a)
    assert tracker.wait(0.05) == ["flags/51F22222: too large"]
    assert tracker.wait(0.05) == []  # reported once


def test_a_flush_is_not_held_up_by_records_sent_after_it() -> None:
    tracker = DeliveryTracker()
    first = tracker.sent()
    result: list[list[str]] = []
    waiter = threading.Thread(target=lambda: result.append(tracker.wait(5.0)))
    waiter.start()
    later = tracker.sent()  # another thread keeps publishing while the flush waits
    tracker.settle(first)
    waiter.join(5.0)
    assert result == [[]], "the flush waited for a record sent after it"
    with pytest.raises(PublishError, match="1 records undelivered"):
        tracker.wait(0.05)  # a new flush does wait for it
    tracker.settle(later)
    assert tracker.wait(0.05) == []
