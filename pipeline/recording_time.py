"""When a recording's first frame was taken: the time given (``--start-time`` or the camera's
``start_time``), else the container's creation time, else the file's modification time, which a
copy changes, so that last one comes with a warning saying so.

The creation time is read with PyAV (a dependency: its wheels carry FFmpeg's libraries), else
with ffprobe where PyAV cannot be imported; OpenCV decodes with FFmpeg but does not expose the
container's metadata.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

# MP4 writers that know no time write 0 (1904 or 1970): no recording is older than this.
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RecordingStart:
    time: datetime
    origin: Literal["given", "container", "modified"]


def parse_start_time(text: str) -> datetime:
    """An ISO 8601 time with its zone (``2021-08-02T07:30:00+07:00`` or ``...Z``)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--start-time {text!r}: not an ISO 8601 time; write it like 2021-08-02T07:30:00+07:00"
        ) from None
    if value.tzinfo is None:
        raise ValueError(
            f"--start-time {text!r} has no time zone; add one, e.g. {text.strip()}+07:00 or "
            f"{text.strip()}Z"
        )
    return value


def _parse_tag(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # QuickTime creation times are UTC
    return parsed if parsed >= _EARLIEST else None


def _with_pyav(path: Path) -> datetime | None:
    import av

    with av.open(str(path)) as container:
        tags = [container.metadata, *(s.metadata for s in container.streams)]
    for tag in tags:
        found = _parse_tag(tag.get("creation_time"))
        if found is not None:
            return found
    return None


def _with_ffprobe(path: Path) -> datetime | None:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    cmd = [ffprobe, "-v", "error", "-of", "json", "-show_entries"]
    cmd += ["format_tags=creation_time:stream_tags=creation_time", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=15, check=False)
        info = json.loads(done.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    tags = [info.get("format", {}).get("tags", {})]
    tags += [s.get("tags", {}) for s in info.get("streams", [])]
    for tag in tags:
        found = _parse_tag(tag.get("creation_time"))
        if found is not None:
            return found
    return None


def container_creation_time(path: str | Path) -> datetime | None:
    """The creation time written in a video container, when there is one."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return _with_pyav(path)
    except ImportError:
        return _with_ffprobe(path)
    except Exception:  # a container PyAV cannot parse has no time we can trust
        return None


def recording_start(path: str | Path, given: datetime | None) -> RecordingStart:
    """The time of the first frame of ``path``; warns when it is only the modification time."""
    if given is not None:
        return RecordingStart(given, "given")
    found = container_creation_time(path)
    if found is not None:
        log.info("%s: times count from the file's creation time %s", path, found.isoformat())
        return RecordingStart(found, "container")
    p = Path(path)
    modified = datetime.fromtimestamp(p.stat().st_mtime if p.exists() else 0.0, UTC)
    log.warning(
        "%s: no recording time in the file or the config; crossed_at counts from the file's "
        "modification time %s, which copying changes (give --start-time, e.g. "
        "2021-08-02T07:30:00+07:00)",
        path,
        modified.isoformat(timespec="seconds"),
    )
    return RecordingStart(modified, "modified")
