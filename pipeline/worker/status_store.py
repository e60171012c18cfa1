"""Writing camera health to the store's ``camera_status`` table (for the API's camera view).

The table and its writer ``store.writes.upsert_camera_status(session, **fields)`` belong
to the store (migration 0002). Against an older store without that writer this adapter logs once
and writes nothing. The worker does not migrate: the store's owner (API/matcher) does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from pipeline.worker.health import HealthSnapshot

log = logging.getLogger(__name__)


def _find_writer() -> Callable[..., Any] | None:
    from store import writes

    return getattr(writes, "upsert_camera_status", None)


class StatusWriter:
    def __init__(self, url: str) -> None:
        from store.db import open_store

        self.store = open_store(url)
        self._write = _find_writer()
        self._failing = False
        if self._write is None:
            log.warning(
                "camera_status: the store has no upsert_camera_status yet; health goes to "
                "metrics and logs only"
            )

    def write(self, snapshots: Iterable[HealthSnapshot]) -> None:
        if self._write is None:
            return
        try:
            with self.store.transaction() as session:
                for snap in snapshots:
                    self._write(session, **snap.store_fields())
        except Exception as exc:  # the database being down must not stop the cameras
            if not self._failing:
                log.error("camera_status: write failed (%s); will keep trying", exc)
            self._failing = True
            return
        if self._failing:
            log.info("camera_status: writing again")
        self._failing = False

    def close(self) -> None:
        self.store.close()
