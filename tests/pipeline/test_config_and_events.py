"""Camera config validation and the EntryEvent contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from pipeline.config import ConfigDeprecationWarning, ConfigError, DetectOptions, load_cameras
from pipeline.events import EntryEvent, make_event_id
from pipeline.schemas import PUBLISHED, SCHEMA_DIR, schema_text
from tests.matcher.factories import make_event

GOOD = """
cameras:
  - camera_id: hue-north-1
    checkpoint: phong-dien
    source: clip.mp4
    line: {start: [0, 400], end: [1280, 400], inbound_side: right}
"""


def test_good_config_resolves_relative_sources(tmp_path: Path) -> None:
    cfg = tmp_path / "cams.yaml"
    cfg.write_text(GOOD)
    cams = load_cameras(cfg).cameras
    assert cams[0].source == str(tmp_path / "clip.mp4")
    assert cams[0].detect.every == 2 and cams[0].region == "vn"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("inbound_side: right", "inbound_side: up"), "line.inbound_side"),
        (("checkpoint: phong-dien", "checkpiont: phong-dien"), "checkpiont"),
        (("camera_id: hue-north-1", "camera_id: 'bad id!'"), "camera_id"),
        (("end: [1280, 400]", "end: [0, 400]"), "line.end"),
    ],
)
def test_bad_config_names_field_and_reason(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    cfg = tmp_path / "cams.yaml"
    cfg.write_text(GOOD.replace(*change))
    with pytest.raises(ConfigError) as info:
        load_cameras(cfg)
    assert field in str(info.value) and str(cfg) in str(info.value)


def test_config_not_yaml(tmp_path: Path) -> None:
    cfg = tmp_path / "cams.yaml"
    cfg.write_text("cameras: [unclosed")
    with pytest.raises(ConfigError, match="YAML"):
        load_cameras(cfg)


def test_flat_detect_keys_still_read_with_a_warning(tmp_path: Path) -> None:
    """Files written before the ``detect:`` section keep working, and say how to update."""
    cfg = tmp_path / "cams.yaml"
    cfg.write_text(GOOD + "    detect_every: 3\n    detect_imgsz: 480\n")
    with pytest.warns(
        ConfigDeprecationWarning,
        match=r"detect_every, detect_imgsz deprecated, write detect: \{every: 3, imgsz: 480\}",
    ):
        cam = load_cameras(cfg).cameras[0]
    assert cam.detect == DetectOptions(every=3, imgsz=480)
    cfg.write_text(GOOD + "    detect: {every: 4, confidence: 0.2}\n")
    assert load_cameras(cfg).cameras[0].detect == DetectOptions(every=4, confidence=0.2)
    cfg.write_text(GOOD + "    detect_every: 3\n    detect: {every: 4}\n")
    with pytest.raises(ConfigError, match=r"detect_every and detect\.every both given"):
        load_cameras(cfg)
    cfg.write_text(GOOD + "    detect: {every: 0}\n")
    with pytest.raises(ConfigError, match=r"cameras\.0\.detect\.every: Input should be"):
        load_cameras(cfg)


def test_stale_threshold_is_shared_by_the_worker_and_the_api() -> None:
    from api.settings import Settings
    from pipeline.config import STALE_AFTER_S, StreamOptions

    assert StreamOptions().stale_after_s == STALE_AFTER_S
    assert Settings().camera_stale_after_s == STALE_AFTER_S


def test_stream_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "cams.yaml"
    cfg.write_text(GOOD.replace("source: clip.mp4", "source: rtsp://u:${CAM_PW}@10.1.1.1/s"))
    cam = load_cameras(cfg).cameras[0]
    with pytest.raises(ConfigError, match="CAM_PW"):
        cam.resolved_source()
    monkeypatch.setenv("CAM_PW", "s3cret")
    assert cam.resolved_source() == "rtsp://u:s3cret@10.1.1.1/s"
    assert "s3cret" not in repr(cam)


def sample_event(plate: str | None = "75A12345") -> EntryEvent:
    return make_event(plate, camera_id="cam", track_id=3)


def test_event_id_is_deterministic_and_distinct() -> None:
    a = make_event_id("cam", "s1", 7, "inbound")
    assert a == make_event_id("cam", "s1", 7, "inbound")
    assert (
        len(
            {
                a,
                make_event_id("cam", "s2", 7, "inbound"),
                make_event_id("cam", "s1", 8, "inbound"),
                make_event_id("cam", "s1", 7, "outbound"),
            }
        )
        == 4
    )


def test_event_validates_against_published_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "entry_event.v1.json").read_text())
    for event in (sample_event(), sample_event(None)):
        jsonschema.validate(json.loads(event.model_dump_json()), schema)
    assert sample_event().key == "75A12345"
    assert sample_event(None).key == "camera:cam"


def test_schema_with_extra_field_is_refused() -> None:
    schema = json.loads((SCHEMA_DIR / "entry_event.v1.json").read_text())
    doc = json.loads(sample_event().model_dump_json())
    doc["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_published_schemas_match_the_models() -> None:
    for filename, model in PUBLISHED.items():
        on_disk = (SCHEMA_DIR / filename).read_text()
        assert on_disk == schema_text(model, filename), (
            f"docs/schemas/{filename} is stale: run `entrywatch schemas`"
        )
