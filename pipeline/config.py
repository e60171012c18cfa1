"""Camera configuration: validated pydantic models, loaded from YAML.

Unknown keys are refused (``extra="forbid"``) so a typo never silently falls back to
a default. Stream passwords come from the environment: write ``${CAM1_PASSWORD}`` in a
source URL and it is filled in when the worker opens the stream, never logged.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.validation import describe_errors

Point = tuple[float, float]

# No frame for this long and a camera is "stale": the worker's default ``stream.stale_after_s``
# and the API's ``ENTRYWATCH_CAMERA_STALE_AFTER_S`` (which also marks a camera stale whose worker
# stopped writing its ``camera_status`` row). 10 s is five of the worker's 2 s health rounds, so a
# healthy camera's row is never that old, and an operator hears of a dead stream within seconds.
STALE_AFTER_S: Final = 10.0


# As long as the entries' camera_id column (pipeline.events.NAME_LEN).
CAMERA_ID_LEN = 128
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def slug_camera_id(text: str) -> str:
    """A camera id made from free text (a file name): Vietnamese and other accented letters to
    ASCII (``ố`` -> ``o``, ``đ`` -> ``d``), anything else to ``_``, at most 128 characters."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_ID.sub("_", ascii_text).strip("_")
    return slug[:CAMERA_ID_LEN] or "camera"


class ConfigError(ValueError):
    """A configuration that cannot be used, naming the file, field and reason."""


class ConfigModel(BaseModel):
    """The base of every config section: unknown keys are refused (a typo is an error, not a
    silently ignored setting) and a loaded config is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LineConfig(ConfigModel):
    start: Point = Field(description="First point of the entry line, pixels (x, y).")
    end: Point = Field(description="Second point of the entry line, pixels (x, y).")
    inbound_side: Literal["left", "right"] = Field(
        description="Side of the directed line start->end that vehicles reach when entering "
        "(image coordinates, y down)."
    )

    @field_validator("end")
    @classmethod
    def _not_degenerate(cls, end: Point, info: object) -> Point:
        start = getattr(info, "data", {}).get("start")
        if start is not None and abs(start[0] - end[0]) + abs(start[1] - end[1]) < 1:
            raise ValueError("start and end are the same point")
        return end


class StreamOptions(ConfigModel):
    """How a live worker reads one camera (``entrywatch run``); ignored by ``replay``."""

    max_queue: Annotated[int, Field(ge=1, le=100)] = Field(
        default=4,
        description="Frames waiting for inference; when full the oldest is dropped (and counted), "
        "so the worker is never more than this many frames late.",
    )
    transport: Literal["tcp", "udp"] = Field(
        default="tcp", description="RTSP transport; tcp notices a dead server at once."
    )
    open_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    read_timeout_s: Annotated[float, Field(gt=0, le=120)] = Field(
        default=5.0, description="A stream silent this long is treated as dropped."
    )
    reconnect_min_s: Annotated[float, Field(gt=0, le=600)] = Field(
        default=1.0, description="First reconnect delay; doubles per failure (with jitter)."
    )
    reconnect_max_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=30.0, description="Cap of the reconnect delay."
    )
    stale_after_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=STALE_AFTER_S, description="No frame for this long: the camera is reported stale."
    )

    @field_validator("reconnect_max_s")
    @classmethod
    def _max_not_below_min(cls, value: float, info: object) -> float:
        low = getattr(info, "data", {}).get("reconnect_min_s")
        if low is not None and value < low:
            raise ValueError(f"must be at least reconnect_min_s ({low})")
        return value


class DetectOptions(ConfigModel):
    """How the vehicle detector runs on one camera's frames (``detect:`` in the YAML)."""

    every: Annotated[int, Field(ge=1, le=30)] = Field(
        default=2,
        description="Run the vehicle detector on every Nth frame; ByteTrack bridges the "
        "others. 2 keeps a 2-core machine above 10 frames/s of 720p with no lost entries on "
        "the sample clips (docs/BENCHMARKS.md).",
    )
    imgsz: Annotated[int, Field(ge=160, le=1920, multiple_of=32)] = Field(
        default=640, description="Detector input size, pixels (a multiple of 32)."
    )
    confidence: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.1,
        description="Detector floor. Weak detections only extend existing tracks "
        "(ByteTrack's second association), so a low floor costs few false tracks.",
    )
    roi_margin: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None,
        description="Detect only in a region of interest around the entry line: the line's "
        "bounding box grown by this fraction of the frame's height (and width) on every side. "
        "Default: the whole frame. 0.35 around a line across the picture at 60 % of its height "
        "keeps 72 % of the rows, at the same pixels per vehicle.",
    )


# The one evidence root of replay, demo, run and serve: a command's --evidence-dir (or
# ENTRYWATCH_EVIDENCE_DIR), else the cameras file's ``evidence.dir``, else this folder. One default,
# so the API looks where the workers wrote.
DEFAULT_EVIDENCE_DIR: Final = Path("out/evidence")
EVIDENCE_DIR_ENV: Final = "ENTRYWATCH_EVIDENCE_DIR"


def default_evidence_dir() -> Path:
    """``ENTRYWATCH_EVIDENCE_DIR`` when set, else ``out/evidence``."""
    return Path(os.environ.get(EVIDENCE_DIR_ENV) or DEFAULT_EVIDENCE_DIR)


class EvidenceOptions(ConfigModel):
    """What a worker keeps of each crossing (``evidence:`` in the YAML, shared by every camera)."""

    dir: Path | None = Field(
        default=None,
        description="Evidence root (relative paths: to the working folder); default "
        "ENTRYWATCH_EVIDENCE_DIR, else out/evidence. A command's --evidence-dir wins.",
    )
    jpeg_quality: Annotated[int, Field(ge=30, le=100)] = Field(
        default=85, description="JPEG quality of every evidence image."
    )
    frame_max_px: Annotated[int, Field(ge=320, le=4096)] = Field(
        default=1280,
        description="The full frame is kept with its longer side at most this many pixels.",
    )
    plate_height_px: Annotated[int, Field(ge=32, le=512)] = Field(
        default=96,
        description="Plate crops are upscaled to at least this height (and at least 3x), so an "
        "operator can read them.",
    )


class InferenceOptions(ConfigModel):
    """How a worker process runs its detectors (``inference:`` in the YAML, every camera's).

    The CPU is the default and the tested path. A GPU is asked for by ``providers`` (onnxruntime
    with its GPU build, ``onnxruntime-gpu``, installed in place of ``onnxruntime``); a provider
    the build lacks is skipped with a warning, so the same file runs on a CPU machine.
    """

    providers: list[str] | None = Field(
        default=None,
        description="Execution providers in order of preference: cpu, cuda, tensorrt (or "
        "onnxruntime's own names). Default: $ENTRYWATCH_PROVIDERS, else cpu.",
    )
    engine: Literal["auto", "onnxruntime", "openvino"] | None = Field(
        default=None,
        description="auto: OpenVINO for the CPU where installed (bf16 on AMX CPUs), onnxruntime "
        "for GPU providers. Default: $ENTRYWATCH_ENGINE, else auto.",
    )
    batch: Annotated[int, Field(ge=1, le=64)] = Field(
        default=1,
        description="Frames of cameras due together detected in one call, at most this many. "
        "1 (off) suits the CPU, where the pool's slots already keep every core busy; 8-16 a GPU.",
    )
    batch_wait_ms: Annotated[float, Field(ge=0, le=100)] = Field(
        default=4.0,
        description="How long the first frame of a batch waits for other cameras' frames.",
    )

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        from detectors.runtime import parse_providers

        return list(parse_providers(value))  # an unknown name raises, naming the known ones


class ConfigDeprecationWarning(FutureWarning):
    """A config key that still works but has a new spelling (shown to operators by default)."""


# The flat keys of before the ``detect:`` section, still read (with a warning).
_FLAT_DETECT_KEYS = {
    "detect_every": "every",
    "detect_imgsz": "imgsz",
    "detect_confidence": "confidence",
}


class CameraConfig(ConfigModel):
    camera_id: Annotated[
        str, Field(min_length=1, max_length=CAMERA_ID_LEN, pattern=r"^[A-Za-z0-9_.-]+$")
    ]
    checkpoint: Annotated[str, Field(min_length=1)] = Field(
        description="Checkpoint this camera watches (declarations name checkpoints)."
    )
    source: str = Field(description="File path, image folder or rtsp:// URL.")
    line: LineConfig
    region: Literal["vn", "generic", "auto", "br"] = "vn"  # plate_reader.formats.REGIONS
    detect: DetectOptions = Field(
        default_factory=DetectOptions, description="Vehicle detector: stride, input size, floor."
    )
    track_confidence: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.15,
        description="Detection confidence that may start or firmly match a track. Lower than "
        "ByteTrack's usual 0.25 because small, distant motorbikes score 0.1-0.25 for most of "
        "their approach; a false track costs little since it must also cross the line.",
    )
    enabled: bool = True
    stream: StreamOptions = Field(
        default_factory=StreamOptions, description="Live-stream reading (queue, reconnects)."
    )
    start_time: datetime | None = Field(
        default=None,
        description="Wall-clock time of a recording's first frame (files only); "
        "defaults to the container's creation time, else the file's modification time "
        "(with a warning: copying a file changes it).",
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_detect_keys(cls, data: Any) -> Any:
        """``detect_every: 3`` (the old flat form) is read as ``detect: {every: 3}``."""
        if not isinstance(data, dict) or not _FLAT_DETECT_KEYS.keys() & data.keys():
            return data
        data = dict(data)
        detect = data.get("detect", {})
        if isinstance(detect, DetectOptions):
            detect = detect.model_dump(exclude_unset=True)
        if not isinstance(detect, dict):
            return data  # the section's own validation names the problem
        detect = dict(detect)
        moved = {}
        for old, new in _FLAT_DETECT_KEYS.items():
            if old not in data:
                continue
            if new in detect:
                raise ValueError(f"{old} and detect.{new} both given; keep detect.{new}")
            detect[new] = moved[new] = data.pop(old)
        flat = ", ".join(k for k, v in _FLAT_DETECT_KEYS.items() if v in moved)
        section = ", ".join(f"{k}: {v}" for k, v in moved.items())
        warnings.warn(
            f"camera {data.get('camera_id', '?')}: {flat} deprecated, write detect: {{{section}}}",
            ConfigDeprecationWarning,
            stacklevel=2,
        )
        data["detect"] = detect
        return data

    def with_detect(self, **changes: Any) -> CameraConfig:
        """A copy with some detector settings changed (``cam.with_detect(every=3)``), validated."""
        detect = DetectOptions.model_validate({**self.detect.model_dump(), **changes})
        return self.model_copy(update={"detect": detect})

    def resolved_source(self) -> str:
        """The source with ``${VAR}`` placeholders filled from the environment."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"camera {self.camera_id}: source needs environment variable {name}, not set"
                )
            return os.environ[name]

        return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", fill, self.source)


class CamerasFile(ConfigModel):
    cameras: list[CameraConfig] = Field(min_length=1)
    evidence: EvidenceOptions = Field(
        default_factory=EvidenceOptions, description="Evidence images: root, quality, sizes."
    )
    inference: InferenceOptions = Field(
        default_factory=InferenceOptions,
        description="Detector engine, providers (CPU, GPU) and cross-camera batching.",
    )

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        seen: set[str] = set()
        for cam in cameras:
            if cam.camera_id in seen:
                raise ValueError(f"camera_id {cam.camera_id!r} appears twice")
            seen.add(cam.camera_id)
        return cameras

    def only(self, camera_ids: Iterable[str]) -> CamerasFile:
        """The cameras named, in the file's order: for a worker that runs its share of a config
        several workers read (``entrywatch run --cameras``). A name the file lacks is a
        ``ConfigError`` listing the ones it has; a camera named twice counts once."""
        wanted = set(camera_ids)
        if not wanted:
            raise ConfigError("no camera id given")
        have = [cam.camera_id for cam in self.cameras]
        missing = sorted(wanted.difference(have))
        if missing:
            names = ", ".join(map(repr, missing))
            raise ConfigError(f"no camera {names} in the config (it has: {', '.join(have)})")
        return self.model_copy(
            update={"cameras": [cam for cam in self.cameras if cam.camera_id in wanted]}
        )


def read_yaml_mapping(path: Path, key: str) -> dict[str, Any]:
    """A YAML config file's top-level mapping; ``ConfigError`` says why it cannot be one (the
    file is missing, unreadable, not YAML, or not a mapping with a ``key`` list)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with a '{key}' list")
    return raw


def load_cameras(path: str | Path) -> CamerasFile:
    """Load and validate a cameras YAML file; relative sources resolve against its folder."""
    path = Path(path)
    raw = read_yaml_mapping(path, "cameras")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConfigDeprecationWarning)
            cameras = CamerasFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_errors(exc)}") from None
    for warning in caught:  # said against the file, not pydantic's internals
        warnings.warn_explicit(warning.message, warning.category, str(path), 0)
    fixed = []
    for cam in cameras.cameras:
        src = cam.source
        if "://" not in src and not Path(src).is_absolute():
            src = str((path.parent / src).resolve())
        fixed.append(cam.model_copy(update={"source": src}))
    return cameras.model_copy(update={"cameras": fixed})
