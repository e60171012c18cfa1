"""Installing Debian packages the test servers need (PostgreSQL, Chromium, GStreamer), once.

CI starts from a clean Debian machine running as root, so the test set-up installs what is
missing; anywhere else it says which packages to install instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence

log = logging.getLogger(__name__)


def apt_install(packages: Sequence[str], missing: str, error: type[Exception]) -> None:
    """``apt-get install`` ``packages``; raise ``error`` saying why when that cannot be done.

    ``missing`` names what was not found, for the message.
    """
    command = f"apt-get install {' '.join(packages)}"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise error(f"{missing} and cannot install it here (need root and apt-get): {command}")
    log.warning("installing %s with apt-get (one time)", " ".join(packages))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise error(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
