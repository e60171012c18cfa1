"""CSV text builders for the import tests."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "plate,display_plate,vehicle_class,driver_name,phone,origin,destination,purpose,"
    "checkpoints,valid_from,valid_until,filed_at,filed_via"
)


def row(
    plate: str = "75A-123.45",
    *,
    display: str | None = None,  # the plate as written
    vehicle_class: str = "car",
    driver: str = "Nguyễn Văn A",
    phone: str = "0905 123 456",
    origin: str = "Đà Nẵng",
    destination: str = "Huế",
    purpose: str = "work",
    checkpoints: str = "*",
    valid_from: str = "2026-07-01T06:00:00+07:00",
    valid_until: str = "2026-07-01T18:00:00+07:00",
    filed_at: str = "2026-06-30T20:00:00+07:00",
    filed_via: str = "csv",
) -> str:
    fields = [
        plate,
        plate if display is None else display,
        vehicle_class,
        driver,
        phone,
        origin,
        destination,
        purpose,
        checkpoints,
        valid_from,
        valid_until,
        filed_at,
        filed_via,
    ]
    return ",".join(f'"{f}"' if "," in f else f for f in fields)


def write_csv(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
