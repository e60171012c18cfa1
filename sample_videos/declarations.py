"""The demo's declarations table: some inbound sample vehicles declared, some not.

Clip times are ``start_time + frame / fps`` (see each clip's ground truth), all on
2021-08-02 in Vietnam time (+07:00).
"""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = (
    "plate",
    "display_plate",
    "vehicle_class",
    "driver_name",
    "phone",
    "origin",
    "destination",
    "purpose",
    "checkpoints",
    "valid_from",
    "valid_until",
    "filed_at",
    "filed_via",
)

# Which sample vehicles are here, and why (the matcher's expected decision):
#   A1, A2, A3, B1  declared, valid at their entry, for that checkpoint or "*"  -> declared
#   C4              declaration ran out the day before                          -> expired
#   C5              declared only for QL1A-PHONG-DIEN, seen at QL49-A-LUOI       -> wrong checkpoint
#   C1, B2          no declaration (B2's plate is also unreadable)               -> undeclared
#   A4, B3          outbound vehicles that happen to be declared (no effect)
ROWS: tuple[tuple[str, ...], ...] = (
    (
        "75A12345",
        "75A-123.45",
        "car",
        "Nguyễn Văn An",
        "+84905123456",
        "Đà Nẵng",
        "Huế",
        "work",
        "QL1A-PHONG-DIEN;QL1A-HAI-VAN",
        "2021-08-01T00:00:00+07:00",
        "2021-08-04T23:59:59+07:00",
        "2021-07-31T20:15:00+07:00",
        "web",
    ),
    (
        "43B05678",
        "43B-056.78",
        "bus",
        "Trần Thị Bình",
        "+84236388990",
        "Đà Nẵng",
        "Huế",
        "public transport",
        "*",
        "2021-08-01T00:00:00+07:00",
        "2021-08-31T23:59:59+07:00",
        "2021-07-30T09:00:00+07:00",
        "operator",
    ),
    (
        "75F123456",
        "75-F1 234.56",
        "motorcycle",
        "Lê Văn Cường",
        "+84914555012",
        "Quảng Trị",
        "Huế",
        "family",
        "*",
        "2021-08-02T06:00:00+07:00",
        "2021-08-02T22:00:00+07:00",
        "2021-08-02T05:41:10+07:00",
        "app",
    ),
    (
        "92A31807",
        "92A-318.07",
        "car",
        "Phạm Minh Đức",
        "+84935700318",
        "Quảng Nam",
        "Huế",
        "goods delivery",
        "QL1A-HAI-VAN",
        "2021-08-02T00:00:00+07:00",
        "2021-08-03T00:00:00+07:00",
        "2021-08-01T18:22:45+07:00",
        "app",
    ),
    (
        "74C138259",
        "74-C1 382.59",
        "motorcycle",
        "Hoàng Thị Lan",
        "+84973382590",
        "Đông Hà",
        "A Lưới",
        "visit",
        "*",
        "2021-07-30T00:00:00+07:00",
        "2021-08-01T23:59:59+07:00",
        "2021-07-29T21:05:00+07:00",
        "hotline",
    ),
    (
        "51G88123",
        "51G-881.23",
        "car",
        "Võ Quốc Huy",
        "+84903881230",
        "TP. Hồ Chí Minh",
        "Huế",
        "business",
        "QL1A-PHONG-DIEN",
        "2021-08-02T00:00:00+07:00",
        "2021-08-05T23:59:59+07:00",
        "2021-08-01T10:30:00+07:00",
        "web",
    ),
    (
        "75C24680",
        "75C-246.80",
        "car",
        "Đặng Thu Hà",
        "+84234246800",
        "Huế",
        "Đà Nẵng",
        "work",
        "*",
        "2021-08-01T00:00:00+07:00",
        "2021-08-07T23:59:59+07:00",
        "2021-07-31T07:00:00+07:00",
        "web",
    ),
    (
        "43B01122",
        "43B-011.22",
        "bus",
        "Bùi Văn Tài",
        "+84236011220",
        "Huế",
        "Đà Nẵng",
        "public transport",
        "*",
        "2021-08-01T00:00:00+07:00",
        "2021-08-31T23:59:59+07:00",
        "2021-07-30T09:05:00+07:00",
        "operator",
    ),
)


def write(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(ROWS)
