"""Debian's headless Chromium for the browser tests, installed with apt-get where missing.

CI (a clean Debian machine, as root) gets it the same way as PostgreSQL (tests/pg_server.py):
``python -m tests.api.browser install``, or the first browser test installs it. Playwright drives
it through ``executable_path``; ``playwright install`` (a download from the internet) is never run.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from tests.debian import apt_install

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumUnavailable(RuntimeError):
    pass


def ensure_chromium() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    apt_install(["chromium"], f"{CHROMIUM} not found", ChromiumUnavailable)
    if not CHROMIUM.is_file():
        raise ChromiumUnavailable("installed 'chromium' but found no /usr/bin/chromium")
    return CHROMIUM


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        log.info("%s", ensure_chromium())
    except ChromiumUnavailable as exc:
        log.error("%s", exc)
        sys.exit(1)
