"""``entrywatch run``: the live worker for the cameras of a config (every one, or those
``--cameras`` names), until SIGTERM.

SIGTERM/SIGINT: stop capture, finish the tracks in flight, publish their entries, flush, exit 0.
SIGHUP: reload the config; only cameras whose config changed are restarted (a config with an
error is refused and the running cameras carry on).
"""

from __future__ import annotations

import logging
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.options import EvidenceDir, evidence_store, migrated
from pipeline.cli.signals import Signals
from pipeline.config import CamerasFile, ConfigError, load_cameras
from plate_reader.ocr import DEFAULT_OCR, OCR_HELP

log = logging.getLogger(__name__)


def _load(config: Path) -> CamerasFile:
    cams = load_cameras(config)
    for cam in cams.cameras:
        if "://" not in cam.source:
            log.warning(
                "camera %s: source is a file, not a stream; it is read once as fast as it decodes",
                cam.camera_id,
            )
    return cams


def _select(cams: CamerasFile, only: list[str] | None, config: Path) -> CamerasFile:
    """``only`` the cameras named (``--cameras``), else all; checked again on every reload."""
    if only is None:
        return cams
    try:
        return cams.only(only)
    except ConfigError as exc:
        raise ConfigError(f"{config}: {exc}") from None


def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="Cameras YAML.")] = Path(
        "configs/cameras.yaml"
    ),
    bus: Annotated[str, typer.Option(help="memory:// or kafka://HOST:PORT[,...].")] = "memory://",
    db: Annotated[
        str | None,
        typer.Option(help="Store URL for camera_status (sqlite:///... or postgresql...)."),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus /metrics on this port.")
    ] = None,
    metrics_addr: Annotated[str, typer.Option(help="Address for /metrics.")] = "0.0.0.0",
    out: Annotated[
        Path | None, typer.Option(help="Also write entries as JSON Lines here ('-' for stdout).")
    ] = None,
    evidence_dir: EvidenceDir = None,
    evidence: Annotated[
        bool,
        typer.Option(
            "--evidence/--no-evidence",
            help="Save full frames, plate crops and vehicle snapshots (under --evidence-dir).",
        ),
    ] = True,
    threads: Annotated[
        int,
        typer.Option(
            help="Math threads per model slot (1 measured best on a shared 2-core machine; "
            "0 lets each library use every core)."
        ),
    ] = 1,
    slots: Annotated[
        int, typer.Option(help="Model copies shared by the cameras (calls in parallel).")
    ] = 2,
    health_interval: Annotated[float, typer.Option(help="Seconds between health rounds.")] = 2.0,
    ocr: Annotated[str, typer.Option(help=OCR_HELP)] = DEFAULT_OCR,
    topic_prefix: Annotated[str, typer.Option(help="Prefix for the bus topics.")] = "",
    cameras: Annotated[
        str | None,
        typer.Option(
            "--cameras",
            help="Run only these cameras of the config (camera_ids, comma-separated): several "
            "workers share one config, each its own cameras. Default: every camera.",
        ),
    ] = None,
) -> None:
    """Run live cameras: capture, detect, track, read plates, publish entries; report health."""
    from pipeline.bus import Topics, open_bus
    from pipeline.worker.models import SharedModels
    from pipeline.worker.sink import EventSink
    from pipeline.worker.status_store import StatusWriter
    from pipeline.worker.supervisor import Supervisor

    only = None if cameras is None else [c.strip() for c in cameras.split(",") if c.strip()]
    try:
        loaded = _load(config)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
    try:
        chosen = _select(loaded, only, config)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--cameras") from None
    signals = Signals(reload=True)
    signals.install()
    with ExitStack() as stack:
        try:
            the_bus = open_bus(bus)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--bus") from None
        stack.callback(the_bus.close)
        out_file = None
        if out is not None:
            out_file = sys.stdout if str(out) == "-" else stack.enter_context(out.open("a"))
        topics = Topics.with_prefix(topic_prefix) if topic_prefix else Topics()
        sink = EventSink(the_bus, topics, out_file)
        listeners = []
        if db:
            migrated(db)  # a new database gets its camera_status table
            writer = StatusWriter(db)
            stack.callback(writer.close)
            listeners.append(writer.write)
        log.info("loading models")
        models = SharedModels(ocr=ocr, threads=threads, slots=slots, inference=chosen.inference)
        models.warm_up({c.region for c in chosen.cameras if c.enabled})
        supervisor = Supervisor(
            models,
            sink,
            evidence=evidence_store(evidence_dir, config) if evidence else None,
            listeners=listeners,
        )
        if metrics_port is not None:
            from pipeline.worker.metrics import serve_metrics

            serve_metrics(metrics_port, lambda: supervisor.latest, addr=metrics_addr)
            log.info("metrics on http://%s:%d/metrics", metrics_addr, metrics_port)
        if not signals.stop.is_set():  # a SIGTERM while the models loaded: start nothing
            supervisor.apply(chosen)
        log.info(
            "running %d camera(s); SIGTERM stops, SIGHUP reloads %s",
            len(supervisor.workers),
            config,
        )
        while not signals.stop.is_set():
            signals.wake.wait(health_interval)
            signals.wake.clear()
            if signals.reload_requested and not signals.stop.is_set():
                signals.reload_requested = False
                try:
                    reloaded = _select(_load(config), only, config)
                    if reloaded.inference != models.inference:
                        log.warning("inference: changed; it takes effect when the worker restarts")
                    supervisor.apply(reloaded)
                except ConfigError as exc:
                    log.error("reload refused, cameras unchanged: %s", exc)
            supervisor.report()
        supervisor.stop_all()
        log.info("stopped: %d entries published", sink.published)
