"""The plate fonts the training and rendered-validation tests need, installed where missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from plate_reader.training import fonts, fontsource
from tests.debian import apt_install


def plate_fonts(names: tuple[str, ...], minimum: int = 1) -> list[Path]:
    """Installed fonts of ``names``; installs the Debian packages once (as root) and fetches the
    Fontsource faces from the npm registry when too few are there."""
    found = fonts.available(names)
    if len(found) >= minimum:
        return found
    debian = tuple(n for n in names if not n.startswith(fontsource.PREFIX))
    if len(fonts.available(debian)) < len(debian):
        apt_install(fonts.DEBIAN_PACKAGES, "plate fonts are missing", pytest.fail.Exception)
    if len(debian) < len(names):
        try:
            fontsource.fetch()
        except RuntimeError as exc:
            pytest.fail(f"the Fontsource training faces are missing and cannot be fetched: {exc}")
    return fonts.require(names, minimum)
