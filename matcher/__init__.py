"""The Kafka matcher service: entries topic in, decisions and flags in the store, flags out.

``MatcherService`` (``service``) is the loop, pipelined over three threads; ``batch`` is what
travels through it; ``decode`` turns records into entry events or dead-letter reasons;
``lookup`` fetches candidate declarations through the driver; ``lifecycle`` is the one place a
flag opens or changes status (its audit and outbox rows with it); ``flag_events`` builds
``FlagEvent``s; ``relay`` publishes the outbox on the flags topic; ``late`` settles open flags
with declarations filed after the entry;
``checkpoint`` holds the offsets that are committable and commits them;
``policy`` is the one place errors are classified; ``runtime`` tunes the process.
"""

from matcher.batch import BatchStats
from matcher.service import MatcherOptions, MatcherService

__all__ = ["BatchStats", "MatcherOptions", "MatcherService"]
