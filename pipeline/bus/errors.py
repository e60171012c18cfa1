"""The bus's error policy, decided here once.

- ``publish`` does not fail because the broker is away: records queue and go out when it
  returns. It may block (first use of a topic, or a full buffer) and fails with ``BusError`` only
  past ``max_block_ms`` (10 minutes by default) or on misuse: a closed bus, a value not JSON.
- ``flush`` raises ``PublishError`` if any record since the last flush could not be delivered
  (delivery timeout or a non-retriable broker error); the records are named by topic and key.
  When its own ``timeout`` passes first it raises ``FlushTimeout`` (a ``PublishError``): the
  records are still on their way, and a later flush waits for them again.
- ``Consumer.commit`` raises ``CommitError`` when the group moved on (a rebalance): the polled
  records will be delivered again, which is the at-least-once contract, so callers just poll on.
- Anything from the client library is re-raised as one of these, with the original as cause.
"""

from __future__ import annotations


class BusError(RuntimeError):
    """Any bus failure the caller may want to handle."""


class PublishError(BusError):
    """Records were accepted by ``publish`` but not delivered."""


class FlushTimeout(PublishError):
    """``flush`` gave up waiting; the records are not failed, only not acknowledged yet."""


class CommitError(BusError):
    """Offsets were not committed; the polled records will be redelivered."""
