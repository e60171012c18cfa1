"""More plate-like faces for training, fetched from the npm registry (Fontsource's packages).

Debian packages some twenty faces a plate could be lettered in; a recogniser trained on so few
learns their glyph forms, not the characters: on real US plates the shipped model read an open
4 as an L and a short-vee M as an H (docs/BENCHMARKS.md). Synthetic text recognisers learn shape
invariance from many faces (Jaderberg et al. 2014 drew from some 1,400). Fontsource republishes
Google Fonts' open faces as npm packages, which this machine's package mirror serves: each
package is pinned here by version and the registry's sha512 integrity, and one WOFF file (Latin,
one weight) of each is kept. They are used for training only; none is shipped.

    python -m plate_reader.training.fontsource      # fetch the missing ones (idempotent)

The files go to ``$ENTRYWATCH_FONT_DIR`` or the environment's ``share/entrywatch/fonts``;
``NPM_CONFIG_REGISTRY`` points at another registry. Each package's licence is in
``fontsource.json``: SIL OFL 1.1, except Mohave (MIT) and the Ubuntu faces (Ubuntu Font Licence
1.0).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

log = logging.getLogger(__name__)

FONT_DIR_ENV = "ENTRYWATCH_FONT_DIR"
PREFIX = "fontsource/"  # names in ``fonts.TRAIN_FONTS`` that live in ``font_dir()``
DEFAULT_REGISTRY = "https://registry.npmjs.org"

# (package under @fontsource, version, weight, the registry's integrity of the tarball), pinned
# in fontsource.json. Condensed and plain sans and mono faces, a plate's kinds of lettering. Left
# out on sight: Staatliches and Voltaire (their 1 and I are one glyph, so their labels would
# contradict the other faces'), Days One (slanted), Passion One (too heavy to tell 0 from O) and
# Big Shoulders Text (Big Shoulders Display is in).
PACKAGES: tuple[tuple[str, str, int, str], ...] = tuple(
    (p["package"], p["version"], int(p["weight"]), p["integrity"])
    for p in json.loads((Path(__file__).with_name("fontsource.json")).read_text())["packages"]
)


def font_dir() -> Path:
    value = os.environ.get(FONT_DIR_ENV)
    return Path(value) if value else Path(sys.prefix) / "share" / "entrywatch" / "fonts"


def file_name(package: str, weight: int) -> str:
    return f"{package}-{weight}.woff"


# The names ``fonts.TRAIN_FONTS`` lists them by, in this table's order.
NAMES: tuple[str, ...] = tuple(PREFIX + file_name(p, w) for p, _, w, _ in PACKAGES)


def locate(name: str) -> Path:
    """The file of a ``fontsource/...`` name."""
    return font_dir() / name.removeprefix(PREFIX)


class IntegrityError(ValueError):
    """A downloaded package is not the one pinned."""


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise IntegrityError(f"{algorithm} of the download is {digest}, pinned {expected}")


def extract_woff(tarball: bytes, package: str, weight: int) -> bytes:
    """The Latin WOFF of ``weight`` from a Fontsource package tarball."""
    member = f"package/files/{package}-latin-{weight}-normal.woff"
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        handle = archive.extractfile(member)
        if handle is None:
            raise KeyError(f"{member} is not a file in the package")
        return handle.read()


def fetch(registry: str | None = None, timeout: float = 60.0) -> list[Path]:
    """Download the pinned faces not yet in ``font_dir()``; the paths fetched."""
    base = (registry or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY).rstrip("/")
    target = font_dir()
    target.mkdir(parents=True, exist_ok=True)
    fetched: list[Path] = []
    for package, version, weight, integrity in PACKAGES:
        path = target / file_name(package, weight)
        if path.is_file():
            continue
        url = f"{base}/@fontsource/{package}/-/{package}-{version}.tgz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                data = response.read()
            check_integrity(data, integrity)
            woff = extract_woff(data, package, weight)
        except (OSError, KeyError, IntegrityError, tarfile.TarError) as exc:
            raise RuntimeError(f"cannot fetch font @fontsource/{package}@{version}: {exc}") from exc
        partial = path.with_suffix(".part")
        partial.write_bytes(woff)
        partial.replace(path)  # a file present is always whole
        fetched.append(path)
        log.info("fetched %s", path)
    return fetched


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    fetched = fetch()
    print(f"{len(fetched)} fetched, {len(PACKAGES)} in {font_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
