"""Prometheus metrics of a live worker, one series per camera, served on ``--metrics-port``.

Values come from the supervisor's latest health round (every few seconds), so a scrape costs
nothing and never touches the camera threads.

    entrywatch_camera_up{camera,checkpoint}                  1 when status is ok
    entrywatch_camera_status{camera,status}                  1 for the current status
    entrywatch_camera_fps{camera}                            frames/s captured
    entrywatch_camera_frames_total{camera}                   frames captured
    entrywatch_camera_frames_processed_total{camera}         frames run through inference
    entrywatch_camera_frames_dropped_total{camera}           stale frames dropped from the queue
    entrywatch_camera_reconnects_total{camera}               successful reconnects
    entrywatch_camera_connect_failures_total{camera}         failed connection attempts
    entrywatch_camera_entries_total{camera}                  entries published
    entrywatch_camera_last_frame_age_seconds{camera}         age of the newest frame
    entrywatch_camera_inference_ms{camera}                   inference per processed frame (EMA)
    entrywatch_camera_lag_seconds{camera}                    capture to end of inference
    entrywatch_camera_queue_depth{camera}                    frames waiting
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline.worker.health import HealthSnapshot

STATUSES = ("ok", "stale", "error", "stopped")


class CameraCollector(Collector):
    def __init__(self, snapshots: Callable[[], list[HealthSnapshot]]) -> None:
        self._snapshots = snapshots

    def collect(self) -> Iterator[Metric]:
        snaps = self._snapshots()
        up = GaugeMetricFamily(
            "entrywatch_camera_up",
            "1 when the camera delivers frames",
            labels=["camera", "checkpoint"],
        )
        status = GaugeMetricFamily(
            "entrywatch_camera_status",
            "1 for the camera's current status",
            labels=["camera", "status"],
        )
        gauges = {
            "fps": GaugeMetricFamily(
                "entrywatch_camera_fps", "Frames/s captured", labels=["camera"]
            ),
            "age": GaugeMetricFamily(
                "entrywatch_camera_last_frame_age_seconds",
                "Age of the newest frame",
                labels=["camera"],
            ),
            "inf": GaugeMetricFamily(
                "entrywatch_camera_inference_ms",
                "Inference ms per processed frame",
                labels=["camera"],
            ),
            "lag": GaugeMetricFamily(
                "entrywatch_camera_lag_seconds", "Capture to end of inference", labels=["camera"]
            ),
            "queue": GaugeMetricFamily(
                "entrywatch_camera_queue_depth", "Frames waiting for inference", labels=["camera"]
            ),
        }
        counters = {
            "frames": CounterMetricFamily(
                "entrywatch_camera_frames", "Frames captured", labels=["camera"]
            ),
            "frames_processed": CounterMetricFamily(
                "entrywatch_camera_frames_processed",
                "Frames run through inference",
                labels=["camera"],
            ),
            "frames_dropped": CounterMetricFamily(
                "entrywatch_camera_frames_dropped", "Stale frames dropped", labels=["camera"]
            ),
            "reconnects": CounterMetricFamily(
                "entrywatch_camera_reconnects", "Successful reconnects", labels=["camera"]
            ),
            "connect_failures": CounterMetricFamily(
                "entrywatch_camera_connect_failures",
                "Failed connection attempts",
                labels=["camera"],
            ),
            "entries": CounterMetricFamily(
                "entrywatch_camera_entries", "Entries published", labels=["camera"]
            ),
        }
        for s in snaps:
            cam = s.camera_id
            up.add_metric([cam, s.checkpoint], 1.0 if s.status == "ok" else 0.0)
            for name in STATUSES:
                status.add_metric([cam, name], 1.0 if s.status == name else 0.0)
            gauges["fps"].add_metric([cam], s.fps)
            if s.last_frame_age_s is not None:
                gauges["age"].add_metric([cam], s.last_frame_age_s)
            gauges["inf"].add_metric([cam], s.inference_ms)
            gauges["lag"].add_metric([cam], s.lag_s)
            gauges["queue"].add_metric([cam], s.queue_depth)
            for key, family in counters.items():
                family.add_metric([cam], float(getattr(s, key)))
        yield up
        yield status
        yield from gauges.values()
        yield from counters.values()


def serve_metrics(
    port: int, snapshots: Callable[[], list[HealthSnapshot]], addr: str = "0.0.0.0"
) -> CollectorRegistry:
    """Start the /metrics HTTP server (a daemon thread) on ``addr:port``."""
    registry = CollectorRegistry()
    registry.register(CameraCollector(snapshots))
    start_http_server(port, addr=addr, registry=registry)
    return registry
