"""Live camera workers (``entrywatch run``): capture apart from inference, reconnects, health.

One :class:`~pipeline.worker.camera.CameraWorker` per camera (a capture thread and an inference
thread joined by a bounded drop-oldest queue, with its own stop event); a
:class:`~pipeline.worker.supervisor.Supervisor` starts, stops and reloads them and reports health.
"""

from pipeline.worker.camera import CameraWorker
from pipeline.worker.frame_queue import DropOldestQueue
from pipeline.worker.health import CameraHealth, HealthSnapshot
from pipeline.worker.supervisor import Supervisor

__all__ = ["CameraHealth", "CameraWorker", "DropOldestQueue", "HealthSnapshot", "Supervisor"]
