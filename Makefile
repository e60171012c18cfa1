# EntryWatch — every target installs what it needs first (scripts/setup_env.sh is a no-op when up to date).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := 0
export YOLO_VERBOSE := False

# The shipped recogniser's thirteen stages (plate_reader/models/MODEL_CARD.md): a base run on the
# first rendered set, a fine-tune from its checkpoint with a second set and batch jitter, one with
# a third set (emblems between character groups, more distant-camera degradation), one from that
# stage's export (as the shipped model was: its checkpoint was lost) with a fourth set adding
# printed backdrops and embossed characters, one from that export with every set drawn in two
# more faces too (other glyph forms: a flat-topped 3, open digits), and two that draw every set
# in many more faces (Fontsource's, fetched from the npm registry: 60, then 94 faces), then two in
# a wider network (below). Each stage keeps the faces it was trained on (--train-fonts: faces are
# only ever appended).
PLATE_BASE := --train-fonts 15 --steps 2000 --out out/train/plate_crnn-base.onnx
PLATE_TUNE := --train-fonts 15 --init out/train/checkpoint-plate_crnn-base-seed7.pt --extra-seed 8 \
	--extra-samples 120000 --jitter 0.5 --lr 0.0015 --steps 1600 --out out/train/plate_crnn-tune.onnx
PLATE_MARKS := --train-fonts 15 --init out/train/checkpoint-plate_crnn-tune-seed7.pt --extra-seed 9 \
	--extra-samples 100000 --extra-degraded-share 0.4 --extra-gap-marks 0.4 --jitter 0.5 \
	--lr 0.001 --steps 2400 --out out/train/plate_crnn-marks.onnx
# The art stage's set and schedule, which the glyphs stage repeats with its own seed and faces.
PLATE_ART_RECIPE := --extra-samples 100000 --extra-degraded-share 0.4 --extra-gap-marks 0.4 \
	--extra-backdrops 0.5 --extra-emboss 0.5 --jitter 0.5 --lr 0.0008 --steps 1600
PLATE_ART := --train-fonts 15 --init out/train/plate_crnn-marks.onnx --extra-seed 10 \
	$(PLATE_ART_RECIPE) --out out/train/plate_crnn-art.onnx
PLATE_GLYPHS := --train-fonts 17 --init out/train/plate_crnn-art.onnx --extra-seed 12 \
	$(PLATE_ART_RECIPE) --out out/train/plate_crnn-glyphs.onnx
PLATE_FACES := --train-fonts 60 --init out/train/plate_crnn-glyphs.onnx --extra-seed 14 \
	$(PLATE_ART_RECIPE) --out out/train/plate_crnn-faces.onnx
PLATE_MORE_FACES := --train-fonts 94 --init out/train/plate_crnn-faces.onnx --extra-seed 15 \
	$(PLATE_ART_RECIPE) --out out/train/plate_crnn-more-faces.onnx
# Two stages in a wider network (--channels: the more-faces weights kept, the new channels
# starting unused): wide, on a set drawn as a distant camera sees plates (characters 6-20 px
# high, 60 % degraded), then wide faces, the art recipe in all 124 faces.
PLATE_CHANNELS := --channels 16,48,72,96,128
PLATE_WIDE := --train-fonts 94 --init out/train/plate_crnn-more-faces.onnx $(PLATE_CHANNELS) \
	--extra-seed 17 --extra-samples 100000 --extra-min-char-px 6 --extra-max-char-px 20 \
	--extra-degraded-share 0.6 --extra-gap-marks 0.4 --extra-backdrops 0.5 --extra-emboss 0.5 \
	--jitter 0.5 --lr 0.0008 --steps 1600 --out out/train/plate_crnn-wide.onnx
PLATE_WIDE_FACES := --train-fonts 124 --init out/train/plate_crnn-wide.onnx $(PLATE_CHANNELS) \
	--extra-seed 16 $(PLATE_ART_RECIPE) --out out/train/plate_crnn-wide-faces.onnx
# Then wide distance: the distance recipe again, drawn in all 124 faces (seed 18); and rehearsal,
# the shipped model: one long stage in bfloat16 (2.8x faster on CPUs with AMX and on GPUs) on a
# fresh art set (seed 19) with the three wide stages' sets drawn again from their cards
# (--replay-extra), 520,000 plates, 5,000 steps.
# The distance set (what is drawn) apart from its schedule, which far and farther lengthen.
PLATE_DISTANCE_SET := --extra-samples 100000 --extra-min-char-px 6 --extra-max-char-px 20 \
	--extra-degraded-share 0.6 --extra-gap-marks 0.4 --extra-backdrops 0.5 --extra-emboss 0.5
PLATE_DISTANCE_RECIPE := $(PLATE_DISTANCE_SET) --jitter 0.5 --lr 0.0008 --steps 1600
PLATE_WIDE_DISTANCE := --train-fonts 124 --init out/train/plate_crnn-wide-faces.onnx \
	$(PLATE_CHANNELS) --extra-seed 18 $(PLATE_DISTANCE_RECIPE) \
	--out out/train/plate_crnn-wide-distance.onnx
PLATE_REPLAYED := out/train/plate_crnn-wide.json,out/train/plate_crnn-wide-faces.json,$\
	out/train/plate_crnn-wide-distance.json
PLATE_REHEARSAL := --train-fonts 124 --init out/train/plate_crnn-wide-distance.onnx \
	$(PLATE_CHANNELS) --precision bf16 --replay-extra $(PLATE_REPLAYED) --extra-seed 19 \
	--extra-samples 100000 --extra-degraded-share 0.4 --extra-gap-marks 0.4 \
	--extra-backdrops 0.5 --extra-emboss 0.5 --jitter 0.5 --lr 0.0008 --steps 5000 \
	--out out/train/plate_crnn-rehearsal.onnx
# Then far: from rehearsal, the distance recipe again in a fresh set (seed 20) with rehearsal's
# own art set (seed 19) drawn again, 320,000 plates, 3,600 steps in bfloat16; and farther, the
# shipped model: from far, the same again with another fresh set (seed 21) and far's and
# rehearsal's sets drawn again, 420,000 plates.
PLATE_FAR := --train-fonts 124 --init out/train/plate_crnn-rehearsal.onnx $(PLATE_CHANNELS) \
	--precision bf16 --replay-extra out/train/plate_crnn-rehearsal.json --extra-seed 20 \
	$(PLATE_DISTANCE_SET) --jitter 0.5 --lr 0.0008 --steps 3600 --out out/train/plate_crnn-far.onnx
PLATE_FARTHER := --train-fonts 124 --init out/train/plate_crnn-far.onnx $(PLATE_CHANNELS) \
	--precision bf16 --replay-extra out/train/plate_crnn-far.json,out/train/plate_crnn-rehearsal.json \
	--extra-seed 21 $(PLATE_DISTANCE_SET) --jitter 0.5 --lr 0.0008 --steps 3600 \
	--out out/train/plate_crnn-farther.onnx

.PHONY: help setup demo test test-fast lint bench bench-plates-candidate samples kafka clean train-plates screenshots

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

setup:  ## Create .venv with the packages and the offline model weights
	@scripts/setup_env.sh

demo: setup  ## The main job: replay the sample clips, match against sample declarations, print entries and flags
	$(VENV)/bin/entrywatch demo

test: setup  ## Run the whole test suite (unit, end-to-end, accuracy floor)
	$(PY) -m pytest

test-fast: setup  ## Unit tests only: no models, no servers (Kafka, PostgreSQL, RTSP, Chromium)
	$(PY) -m pytest -m "not slow and not models and not kafka and not pg and not browser and not rtsp"

lint: setup  ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup  ## Speed and accuracy benchmarks; results go to docs/BENCHMARKS.md by hand
	@scripts/plate_fonts.sh
	$(PY) -m bench.plate_accuracy
	$(PY) -m bench.plate_distance
	$(PY) -m bench.replay_speed

bench-plates-candidate: setup  ## A trained recogniser beside the shipped one, same machine: MODEL=out/train/x.onnx
	@test -n "$(MODEL)" || { echo "usage: make bench-plates-candidate MODEL=out/train/x.onnx"; exit 2; }
	@scripts/plate_fonts.sh
	$(PY) -m bench.plate_candidate --model $(MODEL)

train-plates: setup  ## Train the plate recogniser on rendered plates, thirteen stages, resumable (CPU, ~7 h on 2 quiet cores; DEVICE=cuda on a GPU)
	@scripts/plate_fonts.sh
	$(PY) -m plate_reader.training.fontsource
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_BASE)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_TUNE)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_MARKS)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_ART)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_GLYPHS)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_FACES)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_MORE_FACES)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_WIDE)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_WIDE_FACES)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_WIDE_DISTANCE)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_REHEARSAL)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_FAR)
	$(PY) -m plate_reader.training.train --device $(or $(DEVICE),cpu) $(PLATE_FARTHER)
	cp out/train/plate_crnn-farther.onnx plate_reader/models/plate_crnn.onnx
	cp out/train/plate_crnn-farther.json plate_reader/models/plate_crnn.json

screenshots: setup  ## The dashboard's main screens in Vietnamese and English (docs/screenshots/, real Chromium)
	$(PY) -m tooling.screenshots

samples: setup  ## Re-render the sample clips and their ground truth
	$(PY) -m sample_videos.make_samples

kafka: setup  ## A real Kafka broker on 127.0.0.1 for development (Ctrl-C stops it)
	$(PY) tooling/kafka_broker.py run

clean:  ## Remove outputs (keeps .venv)
	rm -rf out evidence .pytest_cache .mypy_cache .ruff_cache
