"""The matcher's checkpoint: offsets become committable when a batch is done, and go out together
at most every interval (no broker: the commit is recorded)."""

from __future__ import annotations

import pytest

from matcher.checkpoint import Checkpoint, Offsets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def commits() -> list[tuple[Offsets, bool]]:
    return []


def make(commits: list[tuple[Offsets, bool]], clock: Clock) -> Checkpoint:
    return Checkpoint(lambda offsets, wait: commits.append((offsets, wait)), 0.25, clock=clock)


def test_the_latest_offset_per_partition_is_committed_once(
    commits: list[tuple[Offsets, bool]],
) -> None:
    clock = Clock()
    checkpoint = make(commits, clock)
    checkpoint.done({("entries", 0): 10, ("entries", 1): 4})
    checkpoint.done({("entries", 0): 7})  # a batch that finished later with earlier offsets
    checkpoint.done({("entries", 0): 12})
    assert checkpoint.committable == {("entries", 0): 12, ("entries", 1): 4}

    checkpoint.commit(wait=True)
    checkpoint.commit(wait=True)  # nothing new: no second commit

    assert commits == [({("entries", 0): 12, ("entries", 1): 4}, True)]
    assert checkpoint.committable == {}


def test_commits_wait_for_the_interval(commits: list[tuple[Offsets, bool]]) -> None:
    clock = Clock()
    checkpoint = make(commits, clock)
    checkpoint.done({("entries", 0): 1})
    checkpoint.commit_if_due()
    assert commits == []

    clock.now += 0.25
    checkpoint.commit_if_due()
    assert commits == [({("entries", 0): 1}, False)]

    checkpoint.done({("entries", 0): 2})
    clock.now += 0.125
    checkpoint.commit_if_due()
    assert len(commits) == 1
    clock.now += 0.125
    checkpoint.commit_if_due(wait=True)
    assert commits[-1] == ({("entries", 0): 2}, True)


def test_a_failed_commit_hands_its_offsets_to_nobody(commits: list[tuple[Offsets, bool]]) -> None:
    """The error is the caller's policy; the next commit carries later offsets, which cover it."""

    def failing(offsets: Offsets, wait: bool) -> None:
        raise RuntimeError("broker gone")

    checkpoint = Checkpoint(failing, 0.25, clock=Clock())
    checkpoint.done({("entries", 0): 5})
    with pytest.raises(RuntimeError):
        checkpoint.commit()
    assert checkpoint.committable == {}
