"""The plate fonts the training and rendered-validation tests need, installed where missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from plate_reader.training import fonts
from tests.debian import apt_install


def plate_fonts(names: tuple[str, ...], minimum: int = 1) -> list[Path]:
    """Installed fonts of ``names``; installs the Debian packages once (as root) when too few."""
    found = fonts.available(names)
    if len(found) >= minimum:
        return found
    apt_install(fonts.DEBIAN_PACKAGES, "plate fonts are missing", pytest.fail.Exception)
    return fonts.require(names, minimum)
