"""OpenVINO is imported with its usage telemetry replaced by its own no-op stub."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("openvino") is None, reason="openvino missing"
)

PROBE = """
import importlib.util
# The real package is installed (openvino depends on it): the stub below is the guard's doing.
assert importlib.util.find_spec("openvino_telemetry") is not None
from detectors.openvino_session import import_openvino
import_openvino()
import openvino.tools.ovc.telemetry_utils as utils
print(utils.tm.__name__)
"""


def test_openvino_import_sends_no_telemetry() -> None:
    # A fresh interpreter: the test process may have imported openvino already.
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "openvino.tools.ovc.telemetry_stub"
