"""The checkpoints registry in the API (the shipped configs/checkpoints.yaml): served to the
public page, and every declaration channel (filing, CSV import) refusing a checkpoint it lacks
with the unknown code named; refusals of a filing are listed by field and type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from pipeline.checkpoints import load_checkpoints
from pipeline.config import ConfigError, load_cameras
from store import Store
from tests.api.conftest import Keys
from tests.api.test_declarations import filing
from tests.store.csv_samples import HEADER, row

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "configs" / "checkpoints.yaml"


@pytest.fixture
def checked(settings: Settings, store: Store) -> Iterator[TestClient]:
    """The app with the shipped registry."""
    app = create_app(settings.model_copy(update={"checkpoints_file": REGISTRY}), store=store)
    with TestClient(app) as c:
        yield c


def test_the_registry_is_public_with_both_names(checked: TestClient) -> None:
    resp = checked.get("/api/checkpoints")  # no key: the declaration page reads it
    assert resp.status_code == 200
    by_code = {c["code"]: c for c in resp.json()}
    assert set(by_code) == {"QL1A-PHONG-DIEN", "QL1A-HAI-VAN", "QL49-A-LUOI"}
    assert by_code["QL1A-PHONG-DIEN"]["name_vi"].startswith("Chốt QL1A Phong Điền")
    assert by_code["QL49-A-LUOI"]["cameras"] == ["hue-ql49-west-01", "hue-ql49-west-02"]


def test_without_a_registry_the_list_is_empty_and_codes_unchecked(client: TestClient) -> None:
    assert client.get("/api/checkpoints").json() == []
    assert client.post("/api/declarations", json=filing(checkpoints=["X-1"])).status_code == 201


def test_a_filing_naming_an_unknown_checkpoint_is_refused(checked: TestClient) -> None:
    resp = checked.post("/api/declarations", json=filing(checkpoints=["Phong Điền"]))
    assert resp.status_code == 422
    [problem] = resp.json()["detail"]
    assert problem["type"] == "unknown_checkpoint" and problem["loc"] == ["body", "checkpoints"]
    assert problem["ctx"] == {"unknown": ["Phong Điền"]}
    assert "unknown checkpoint 'Phong Điền'; known: QL1A-HAI-VAN, QL1A-PHONG-DIEN" in problem["msg"]


def test_codes_are_stored_as_the_registry_spells_them(checked: TestClient, keys: Keys) -> None:
    resp = checked.post("/api/declarations", json=filing(checkpoints=["ql1a-phong-dien"]))
    assert resp.status_code == 201, resp.text
    got = checked.get(f"/api/declarations/{resp.json()['id']}", headers=keys.headers("operator"))
    assert got.json()["checkpoints"] == ["QL1A-PHONG-DIEN"]
    # None (any checkpoint) needs no registry entry.
    assert checked.post("/api/declarations", json=filing(plate="75A-1234")).status_code == 201


def test_every_refusal_is_listed_by_field_and_type(checked: TestClient) -> None:
    now = datetime.now(UTC)
    ends_before_it_starts = {
        "valid_from": (now + timedelta(hours=2)).isoformat(),
        "valid_until": (now + timedelta(hours=1)).isoformat(),
    }
    body = filing(plate="ABC-1234", checkpoints=["NOWHERE"], **ends_before_it_starts)
    resp = checked.post("/api/declarations", json=body)
    assert resp.status_code == 422
    kinds = {(p["loc"][-1], p["type"]) for p in resp.json()["detail"]}
    assert kinds == {
        ("plate", "plate_format"),
        ("checkpoints", "unknown_checkpoint"),
        ("valid_until", "window_order"),
    }
    phone = checked.post("/api/declarations", json=filing(driver_phone="call me"))
    [problem] = phone.json()["detail"]
    assert (problem["loc"], problem["type"]) == (
        ["body", "driver_phone"],
        "string_pattern_mismatch",
    )


def test_csv_import_rejects_rows_naming_unknown_checkpoints(
    checked: TestClient, keys: Keys
) -> None:
    text = "\n".join(
        [
            HEADER,
            row("75A-111.11", checkpoints="QL1A-HAI-VAN;ql49-a-luoi"),
            row("75A-222.22", checkpoints="QL1A-HAI-VAN;Phong Dien"),
            row("75A-333.33"),  # "*": any
        ]
    )
    files = {"file": ("district.csv", text.encode(), "text/csv")}
    resp = checked.post("/api/declarations/import", files=files, headers=keys.headers("admin"))
    report = resp.json()
    assert report["imported"] == 2, report
    [error] = report["errors"]
    assert error["line"] == 3
    assert error["reason"].startswith("checkpoints: unknown checkpoint 'Phong Dien'; known: ")
    [stored] = [
        d
        for d in checked.get("/api/declarations", headers=keys.headers("operator")).json()["items"]
        if d["plate"] == "75A11111"
    ]
    assert stored["checkpoints"] == ["QL1A-HAI-VAN", "QL49-A-LUOI"]


def test_the_shipped_cameras_are_the_registrys() -> None:
    """configs/cameras.yaml and the registry say the same checkpoint for every camera."""
    registry = load_checkpoints(REGISTRY)
    cameras = load_cameras(ROOT / "configs" / "cameras.yaml").cameras
    assert {c.camera_id: c.checkpoint for c in cameras} == registry.cameras()
    samples = load_cameras(ROOT / "configs" / "sample_cameras.yaml").cameras
    assert {c.checkpoint for c in samples} <= set(registry.codes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("checkpoints: []", "checkpoints: List should have at least 1 item"),
        ("checkpoints: [{code: A, name_vi: a, name_en: a}, {code: a, name_vi: b, name_en: b}]",
         "checkpoint 'a' appears twice"),
        ("checkpoints: [{code: A, name_vi: a}]", "checkpoints.0.name_en: Field required"),
        ("checkpoints: [{code: 'Phong Điền', name_vi: a, name_en: a}]", "checkpoints.0.code"),
        ("checkpoints: [{code: A, name_vi: a, name_en: a, cameras: [c1]},"
         " {code: B, name_vi: b, name_en: b, cameras: [c1]}]",
         "camera 'c1' is listed under 'A' and 'B'"),
        ("- just a list", "expected a mapping with a 'checkpoints' list"),
    ],
)  # fmt: skip
def test_a_bad_registry_names_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "checkpoints.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"checkpoints\.yaml: ") as caught:
        load_checkpoints(path)
    assert message in str(caught.value)
    with pytest.raises(ConfigError, match="no such file"):
        load_checkpoints(tmp_path / "missing.yaml")


def test_configured_cameras_are_listed_before_their_first_frame(
    checked: TestClient, store: Store, keys: Keys
) -> None:
    from store.writes import upsert_camera_status

    with store.transaction() as session:
        upsert_camera_status(
            session,
            camera_id="hue-ql1a-north-01",
            checkpoint="QL1A-PHONG-DIEN",
            last_frame_at=datetime.now(UTC),
            fps=10.0,
        )
    cams = checked.get("/api/cameras", headers=keys.headers("integrator")).json()
    states = {c["camera_id"]: (c["checkpoint"], c["status"]) for c in cams}
    assert states == {
        "hue-ql1a-north-01": ("QL1A-PHONG-DIEN", "ok"),
        "hue-ql1a-south-01": ("QL1A-HAI-VAN", "waiting"),
        "hue-ql49-west-01": ("QL49-A-LUOI", "waiting"),
        "hue-ql49-west-02": ("QL49-A-LUOI", "waiting"),
    }
    assert [c["camera_id"] for c in cams] == sorted(states)
    waiting = next(c for c in cams if c["status"] == "waiting")
    assert waiting["last_frame_at"] is None and waiting["updated_at"] is None
