"""Writing camera health to the store's ``camera_status`` table (for the API's camera view).

The table and its writer ``store.writes.upsert_camera_status(session, **fields)`` belong
to the store (migration 0002). The worker does not migrate: the store's owner (API/matcher) does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pipeline.worker.health import HealthSnapshot

log = logging.getLogger(__name__)


class StatusWriter:
    def __init__(self, url: str) -> None:
        # Imported here: a worker without --db never loads the store.
        from store.db import open_store
        from store.writes import upsert_camera_status

        self.store = open_store(url)
        self._write = upsert_camera_status
        self._failing = False

    def write(self, snapshots: Iterable[HealthSnapshot]) -> None:
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
