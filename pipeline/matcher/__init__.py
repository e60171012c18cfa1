"""The Kafka matcher service: entries topic in, decisions and flags in the store, flags out.

``MatcherService`` (``service``) is the loop; ``decode`` turns records into entry events or
dead-letter reasons; ``flag_events`` builds and publishes ``FlagEvent``s; ``late`` settles open
flags with declarations filed after the entry; ``policy`` is the one place errors are classified.
"""

from pipeline.matcher.service import BatchStats, MatcherOptions, MatcherService

__all__ = ["BatchStats", "MatcherOptions", "MatcherService"]
