"""The frame loop (``CameraProcessor``) driven by a scripted detector and plate reader.

No models: the detector returns the boxes a script gives for each frame, the reader returns the
reads it is told to, and the real ByteTrack, entry line and plate vote do the rest. A horizontal
line at y=200 with ``inbound_side="right"``: a vehicle moving down the image enters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from detectors.detections import Detections
from pipeline.config import CameraConfig, DetectOptions, LineConfig
from pipeline.events import EntryEvent
from pipeline.frames import Frame
from pipeline.processor import CameraProcessor, ProcessorOptions
from pipeline.tracking import VehicleTracker
from plate_reader.reader import PlateRead

FPS = 10.0
LINE_Y = 200.0
SIZE = (360, 640)  # height, width
PLATE = "75A12345"
START = datetime(2021, 8, 2, 17, 45, tzinfo=UTC)  # the recording's first frame

Box = tuple[float, float, float, float]


class ScriptedDetector:
    """Returns, for each frame index, the boxes of the script (class 2, car)."""

    model_name = "scripted-vehicles.onnx"

    def __init__(self, script: dict[int, list[Box]]) -> None:
        self.class_names = {2: "car"}
        self.script = script
        self.calls = 0

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        index = int(image[0, 0, 0])  # the frame index, written into the image by frames()
        self.calls += 1
        boxes = self.script.get(index, [])
        return Detections(
            xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
            confidence=np.full(len(boxes), 0.9, dtype=np.float32),
            class_id=np.full(len(boxes), 2, dtype=np.int32),
        )


def plate_read(text: str = PLATE, confidence: float = 0.97, valid: bool = True) -> PlateRead:
    return PlateRead(
        text=text,
        raw=text,
        confidence=confidence,
        box=(10.0, 50.0, 70.0, 72.0),
        valid=valid,
        display="75A-123.45" if text == PLATE else text,
        two_line=False,
    )


class ScriptedReader:
    """Answers the n-th read with ``answer(n)``; counts the reads."""

    def __init__(self, answer: Callable[[int], list[PlateRead]]) -> None:
        self.answer = answer
        self.calls = 0
        self.detector = SimpleNamespace(model_name="scripted-plates.onnx")

    def read(self, image: np.ndarray, **kwargs: Any) -> list[PlateRead]:
        assert image.size > 0
        self.calls += 1
        return self.answer(self.calls)


def moving_down(frames: Iterable[int], start_bottom: float, step: float) -> dict[int, list[Box]]:
    """One 100x90 vehicle whose bottom edge moves ``step`` pixels down per frame."""
    script: dict[int, list[Box]] = {}
    for n, index in enumerate(frames):
        bottom = start_bottom + n * step
        script[index] = [(270.0, bottom - 90.0, 370.0, bottom)]
    return script


def camera() -> CameraConfig:
    return CameraConfig(
        camera_id="cam-1",
        checkpoint="CP-1",
        source="scripted.mp4",
        line=LineConfig(start=(0.0, LINE_Y), end=(640.0, LINE_Y), inbound_side="right"),
        region="vn",
        detect=DetectOptions(every=1),
    )


def make(
    script: dict[int, list[Box]],
    reader: ScriptedReader,
    options: ProcessorOptions | None = None,
) -> CameraProcessor:
    return CameraProcessor(
        camera(),
        ScriptedDetector(script),
        reader,
        fps=FPS,
        session_id="session-1",
        start_time=START,
        options=options,
    )


def frames(count: int) -> Iterable[Frame]:
    for index in range(count):
        image = np.zeros((*SIZE, 3), dtype=np.uint8)
        image[0, 0, 0] = index  # lets the scripted detector know the frame (< 256 frames)
        yield Frame("cam-1", index, index / FPS, image, "scripted.mp4")


def run(processor: CameraProcessor, count: int) -> list[tuple[int, EntryEvent]]:
    """Events with the index of the frame whose ``process`` returned them."""
    out = []
    for frame in frames(count):
        out += [(frame.index, event) for event in processor.process(frame)]
    return out


def crossing_frame(script: dict[int, list[Box]]) -> int:
    """The first frame whose box bottom is clearly past the line (the hysteresis is 6 px)."""
    return min(i for i, boxes in script.items() if boxes[0][3] > LINE_Y + 6)


def test_a_settled_plate_is_emitted_at_the_crossing_and_never_read_again() -> None:
    script = moving_down(range(20), start_bottom=150.0, step=10.0)
    reader = ScriptedReader(lambda n: [plate_read(confidence=0.97)])
    processor = make(script, reader)

    events = run(processor, 30)

    assert [index for index, _ in events] == [crossing_frame(script)]
    event = events[0][1]
    assert event.direction == "inbound"
    assert event.plate.readable and event.plate.normalised == PLATE
    assert event.plate.display == "75A-123.45"
    assert event.vehicle.vehicle_class == "car"
    assert event.camera_id == "cam-1" and event.checkpoint == "CP-1"
    assert event.source.frame_index == crossing_frame(script)
    assert event.crossed_at == START + timedelta(seconds=crossing_frame(script) / FPS)
    assert event.software.vehicle_model == "scripted-vehicles.onnx"
    assert event.software.plate_model == "scripted-plates.onnx"
    # One confident read settles the vote: the track is not read again (the cost rule).
    assert reader.calls == 1
    assert processor.finish() == []


def test_an_unreadable_crossing_is_emitted_emit_after_s_later() -> None:
    script = moving_down(range(60), start_bottom=150.0, step=4.0)
    reader = ScriptedReader(lambda n: [])
    processor = make(script, reader, ProcessorOptions(emit_after_s=3.0, lost_after_s=2.0))

    events = run(processor, 60)

    crossed = crossing_frame(script)
    assert [index for index, _ in events] == [crossed + int(3.0 * FPS)]
    event = events[0][1]
    assert not event.plate.readable
    assert event.plate.normalised is None and event.plate.confidence == 0.0
    # The track kept being read every frame while its event waited.
    assert reader.calls >= int(3.0 * FPS)


def test_a_crossing_track_that_is_lost_is_emitted_lost_after_s_later() -> None:
    script = moving_down(range(12), start_bottom=150.0, step=10.0)  # then gone
    reader = ScriptedReader(lambda n: [])
    processor = make(script, reader, ProcessorOptions(emit_after_s=30.0, lost_after_s=2.0))

    events = run(processor, 60)

    last_seen = max(script)
    assert [index for index, _ in events] == [last_seen + int(2.0 * FPS)]


def test_finish_emits_the_crossings_still_waiting() -> None:
    script = moving_down(range(12), start_bottom=150.0, step=10.0)
    # One doubtful read, then nothing: the vote never settles.
    reader = ScriptedReader(lambda n: [plate_read(confidence=0.5)] if n == 1 else [])
    processor = make(script, reader, ProcessorOptions(emit_after_s=30.0, lost_after_s=30.0))

    assert run(processor, 12) == []
    events = processor.finish()

    assert len(events) == 1
    assert events[0].plate.normalised == PLATE
    assert processor.tracks == {}
    assert processor.finish() == []


def test_tracks_that_never_cross_are_forgotten() -> None:
    # Moves down, stays above the line, then leaves the picture.
    script = moving_down(range(10), start_bottom=100.0, step=5.0)
    reader = ScriptedReader(lambda n: [])
    processor = make(script, reader, ProcessorOptions(lost_after_s=2.0))

    assert run(processor, 9) == []
    assert len(processor.tracks) == 1
    stale_after = int(FPS * (2.0 + 1.0))
    assert run(processor, 10 + stale_after + 2) == []
    assert processor.tracks == {}


def test_an_exit_is_reported_as_outbound() -> None:
    script = {i: [(270.0, 260.0 - 10 * i - 90.0, 370.0, 260.0 - 10 * i)] for i in range(12)}
    reader = ScriptedReader(lambda n: [plate_read(confidence=0.97)])
    processor = make(script, reader)

    events = run(processor, 20)

    assert [event.direction for _, event in events] == ["outbound"]


def test_small_vehicles_are_not_read() -> None:
    # A 40 px tall box: below min_vehicle_height_px (72), the plate would be too small to read.
    script = {i: [(300.0, 150.0 + 10 * i - 40.0, 340.0, 150.0 + 10 * i)] for i in range(12)}
    reader = ScriptedReader(lambda n: [plate_read()])
    processor = make(script, reader, ProcessorOptions(emit_after_s=0.5))

    events = run(processor, 20)

    assert reader.calls == 0
    assert len(events) == 1 and not events[0][1].plate.readable


@pytest.mark.parametrize("detect_every", [1, 3])
def test_the_tracker_keeps_one_id_per_vehicle(detect_every: int) -> None:
    """Contract with the pinned ultralytics ByteTrack (no weights): ids are stable and distinct,
    and the boxes given back are the detector's own."""
    tracker = VehicleTracker(frame_rate=FPS / detect_every, lost_seconds=2.0)
    seen: dict[int, set[int]] = {0: set(), 1: set()}
    for n in range(15):
        a = (100.0 + 3 * n, 100.0, 200.0 + 3 * n, 190.0)
        b = (400.0, 50.0 + 4 * n, 500.0, 140.0 + 4 * n)
        tracked = tracker.update(
            Detections(
                xyxy=np.array([a, b], dtype=np.float32),
                confidence=np.array([0.9, 0.8], dtype=np.float32),
                class_id=np.array([2, 3], dtype=np.int32),
            )
        )
        assert len(tracked) == 2
        for row in range(2):
            which = 0 if tracked.class_id[row] == 2 else 1
            assert tracked.xyxy[row].tolist() == pytest.approx(a if which == 0 else b)
            seen[which].add(int(tracked.ids[row]))
    assert all(len(ids) == 1 for ids in seen.values())
    assert seen[0] != seen[1]
    assert min(next(iter(ids)) for ids in seen.values()) >= 0
    assert len(tracker.update(Detections())) == 0


def test_only_tracks_coming_towards_the_line_or_past_it_are_read() -> None:
    """Three cars: one parked above the line, one driving away from it (up), one coming down
    across it. Only the last is read, before and after its crossing."""
    parked = (40.0, 20.0, 120.0, 110.0)  # 80 wide
    script: dict[int, list[Box]] = {}
    for n in range(24):
        coming = (270.0, 60.0 + n * 8.0, 370.0, 150.0 + n * 8.0)  # 100 wide
        leaving = (460.0, 60.0 - n * 2.0, 580.0, 150.0 - n * 2.0)  # 120 wide
        script[n] = [parked, leaving, coming]
    seen: list[int] = []

    def answer(n: int) -> list[PlateRead]:
        # A different doubtful read each time: the vote never settles, so every track that is
        # wanted keeps being read.
        return [plate_read(text=f"75A{n:05d}", confidence=0.4, valid=False)]

    reader = ScriptedReader(answer)
    original = reader.read

    def read(image: np.ndarray, **kwargs: Any) -> list[PlateRead]:
        seen.append(image.shape[1])
        return original(image, **kwargs)

    reader.read = read  # type: ignore[method-assign]
    processor = make(script, reader, ProcessorOptions(plate_reads_per_frame=3))

    events = [e for _, e in run(processor, 24)] + processor.finish()

    assert [e.direction for e in events] == ["inbound"]
    # Every read was of the one approaching car (a 100 px box padded 4 % a side), on every
    # frame from its second detection on (the first has no direction yet).
    assert seen == [108] * 23


def test_a_region_of_interest_detects_on_the_band_around_the_line_in_frame_pixels() -> None:
    """``detect.roi_margin``: the detector sees the line's bounding box grown by the margin of the
    frame's size, and its boxes come back in the frame's pixels."""
    shapes: list[tuple[int, ...]] = []

    class BandDetector(ScriptedDetector):
        def detect(
            self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
        ) -> Detections:
            shapes.append(image.shape)
            return Detections(
                xyxy=np.array([[10.0, 5.0, 60.0, 40.0]], np.float32),
                confidence=np.array([0.9], np.float32),
                class_id=np.array([2], np.int32),
            )

    cam = camera().with_detect(roi_margin=0.2)
    processor = CameraProcessor(
        cam,
        BandDetector({}),
        ScriptedReader(lambda n: []),
        fps=FPS,
        session_id="s",
        start_time=START,
    )
    for frame in frames(3):
        processor.process(frame)
    # 360x640 frames, line at y=200 across: rows 200 -/+ 0.2 * 360 = 128..273, every column.
    assert shapes == [(273 - 128, 640, 3)] * 3
    assert processor.current.xyxy.tolist() == [[10.0, 133.0, 60.0, 168.0]]
