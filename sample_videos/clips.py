"""The three sample clips: cameras, entry lines and the vehicles in each.

Vietnam drives on the right, so vehicles coming towards the camera (inbound) use the
left half of the image and those driving away (outbound) the right half.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from sample_videos import drawn_sprites, plates, real_sprites
from sample_videos.plates import Plate
from sample_videos.sprite import Sprite
from sample_videos.traffic import Vehicle, drive, stop_before, wobble

FPS = 10.0
# Closer than this the vehicle has mostly left the frame at the bottom: end its path.
NEAREST_M = 4.5
# The entry line across the road at about 60% of the frame height, slightly tilted as a
# real camera's would be. Inbound traffic ends up below it: to the right of start->end.
LINE = ((0, 440), (1280, 425))
INBOUND_SIDE = "right"

INBOUND_CAR_X = -1.75
INBOUND_BIKE_X = -4.3
OUTBOUND_CAR_X = 1.75
OUTBOUND_BIKE_X = 2.6


@dataclass(frozen=True)
class ClipSpec:
    name: str
    frames: int
    camera_id: str
    checkpoint: str
    start_time: str  # ISO 8601; frame i is at start_time + i / FPS
    seed: int
    vehicles: tuple[Vehicle, ...]


def _with_plate(base: Callable[[], Sprite], plate: Plate, readable: bool, seed: int) -> Sprite:
    image = plates.render(plate)
    if not readable:
        image = plates.smear(image, seed)
    return base().with_plate(image)


def _vehicle(
    vehicle_id: str,
    kind: str,
    plate: Plate,
    heading: str,
    x_m: float,
    base: Callable[[], Sprite],
    path: np.ndarray,
    readable: bool = True,
) -> Vehicle:
    # Paths end once the vehicle has all but left the frame at the bottom.
    path = np.where(path >= NEAREST_M, path, np.nan)
    seed = sum(map(ord, vehicle_id))
    sprite = partial(_with_plate, base, plate, readable, seed)
    return Vehicle(vehicle_id, kind, plate, readable, heading, x_m, sprite, path)


def _car_front(colour: tuple[int, int, int], seed: int) -> Callable[[], Sprite]:
    return partial(drawn_sprites.car_front, colour, seed)


def _car_rear(colour: tuple[int, int, int], seed: int) -> Callable[[], Sprite]:
    return partial(drawn_sprites.car_rear, colour, seed)


def _bike(mirrored: bool) -> Callable[[], Sprite]:
    return partial(real_sprites.motorcycle, mirrored)


def clip_a() -> ClipSpec:
    """Morning, QL1A north gate: a car, a bus and a motorbike enter; a car leaves."""
    n = 120
    vehicles = (
        _vehicle(
            "A1",
            "car",
            plates.one_line(75, "A", 12345),
            "towards",
            INBOUND_CAR_X,
            _car_front((40, 40, 175), 11),
            drive(n, FPS, 0, 60.0, -8.5),
        ),
        _vehicle(
            "A2",
            "bus",
            plates.one_line(43, "B", 5678),
            "towards",
            INBOUND_CAR_X,
            real_sprites.bus,
            drive(n, FPS, 28, 62.0, -8.0),
        ),
        _vehicle(
            "A3",
            "motorcycle",
            plates.two_line(75, "F", 1, 23456),
            "towards",
            INBOUND_BIKE_X,
            _bike(False),
            drive(n, FPS, 0, 38.0, -5.5),
        ),
        _vehicle(
            "A4",
            "car",
            plates.one_line(75, "C", 24680),
            "away",
            OUTBOUND_CAR_X,
            _car_rear((215, 215, 220), 12),
            drive(n, FPS, 8, 5.0, 7.5),
        ),
    )
    return ClipSpec(
        "entry_morning",
        n,
        "hue-ql1a-north-01",
        "QL1A-PHONG-DIEN",
        "2021-08-02T07:30:00+07:00",
        101,
        vehicles,
    )


def clip_b() -> ClipSpec:
    """Noon, QL1A south gate: a car edges back and forth on the line (jitter), a motorbike
    with a mud-covered plate enters, a bus and a motorbike leave."""
    n = 110
    vehicles = (
        _vehicle(
            "B1",
            "car",
            plates.one_line(92, "A", 31807),
            "towards",
            INBOUND_CAR_X,
            _car_front((170, 170, 175), 21),
            wobble(n, FPS, 0, 40.0, 8.0),
        ),
        _vehicle(
            "B2",
            "motorcycle",
            plates.two_line(75, "H", 2, 90112),
            "towards",
            INBOUND_BIKE_X,
            _bike(False),
            drive(n, FPS, 20, 40.0, -5.0),
            readable=False,
        ),
        _vehicle(
            "B3",
            "bus",
            plates.one_line(43, "B", 1122),
            "away",
            OUTBOUND_CAR_X,
            real_sprites.bus,
            drive(n, FPS, 5, 5.5, 7.0),
        ),
        _vehicle(
            "B4",
            "motorcycle",
            plates.two_line(75, "K", 1, 45678),
            "away",
            OUTBOUND_BIKE_X,
            _bike(True),
            drive(n, FPS, 45, 5.0, 5.0),
        ),
    )
    return ClipSpec(
        "entry_noon",
        n,
        "hue-ql1a-south-01",
        "QL1A-HAI-VAN",
        "2021-08-02T12:10:00+07:00",
        202,
        vehicles,
    )


def clip_c() -> ClipSpec:
    """Evening, QL49 west gate: three vehicles enter (one undeclared, one with an expired
    declaration, one declared for another gate); one stops short; one leaves beyond it."""
    n = 130
    vehicles = (
        _vehicle(
            "C1",
            "car",
            plates.one_line(30, "K", 55102),
            "towards",
            INBOUND_CAR_X,
            _car_front((140, 75, 30), 31),
            drive(n, FPS, 0, 45.0, -8.0),
        ),
        _vehicle(
            "C2",
            "car",
            plates.one_line(75, "D", 60321),
            "towards",
            INBOUND_BIKE_X - 0.4,
            _car_front((225, 225, 228), 32),
            stop_before(n, FPS, 10, 60.0, 9.0, 19.0),
        ),
        _vehicle(
            "C3",
            "car",
            plates.one_line(75, "E", 7419),
            "away",
            OUTBOUND_CAR_X,
            _car_rear((50, 110, 60), 33),
            drive(n, FPS, 0, 17.0, 5.0),
        ),
        _vehicle(
            "C4",
            "motorcycle",
            plates.two_line(74, "C", 1, 38259),
            "towards",
            INBOUND_BIKE_X,
            _bike(False),
            drive(n, FPS, 30, 42.0, -5.5),
        ),
        _vehicle(
            "C5",
            "car",
            plates.one_line(51, "G", 88123),
            "towards",
            INBOUND_CAR_X,
            _car_front((60, 60, 60), 35),
            drive(n, FPS, 52, 62.0, -8.5),
        ),
    )
    return ClipSpec(
        "entry_evening",
        n,
        "hue-ql49-west-01",
        "QL49-A-LUOI",
        "2021-08-02T17:45:00+07:00",
        303,
        vehicles,
    )


CLIPS: tuple[Callable[[], ClipSpec], ...] = (clip_a, clip_b, clip_c)
