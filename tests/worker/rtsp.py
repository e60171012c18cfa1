"""A real RTSP server (GStreamer's, from Debian's packages) serving the sample clips, for tests.

``ensure_installed()`` apt-installs the packages when missing (CI: a clean Debian machine as
root), else raises :class:`RtspUnavailable` with why. Clips are transcoded to H.264 with ffmpeg
into a temp folder (never committed); the server (``tooling/rtsp_server.py``) runs under the
system Python, where the ``gi`` bindings live, and passes the H.264 through untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.debian import apt_install

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / "tooling" / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"
APT_PACKAGES = (
    "gir1.2-gst-rtsp-server-1.0",
    "python3-gi",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-rtsp",
    "ffmpeg",
)
_CHECK = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
    "assert Gst.ElementFactory.find('rtph264pay') and Gst.ElementFactory.find('h264parse')"
)


class RtspUnavailable(RuntimeError):
    """No RTSP server and ffmpeg here, and they cannot be installed."""


def _present() -> bool:
    if not (shutil.which("ffmpeg") and Path(SYSTEM_PYTHON).is_file()):
        return False
    done = subprocess.run([SYSTEM_PYTHON, "-c", _CHECK], capture_output=True, check=False)
    return done.returncode == 0


def ensure_installed() -> None:
    if _present():
        return
    apt_install(APT_PACKAGES, "GStreamer RTSP server / ffmpeg missing", RtspUnavailable)
    if not _present():
        raise RtspUnavailable("installed the packages but the RTSP server still does not load")


def to_h264(clip: Path, folder: Path, loops: int = 1) -> Path:
    """``clip`` as H.264 mp4 (keyframe every 10 frames), repeated ``loops`` times.

    Encoded once; repeats are stream copies (no re-encoding), so a 30-minute file is quick.
    """
    once = folder / f"{clip.stem}.h264.mp4"
    if not once.exists():
        cmd = ["ffmpeg", "-loglevel", "error", "-y", "-i", str(clip), "-an", "-c:v", "libx264"]
        cmd += ["-preset", "veryfast", "-g", "10", "-pix_fmt", "yuv420p", str(once)]
        subprocess.run(cmd, check=True, capture_output=True)
    if loops <= 1:
        return once
    out = folder / f"{clip.stem}_x{loops}.h264.mp4"
    if not out.exists():
        cmd = ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(loops - 1)]
        cmd += ["-i", str(once), "-c", "copy", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """``tooling/rtsp_server.py`` as a subprocess; ``kill()`` and ``start()`` again on one port."""

    def __init__(
        self,
        mounts: dict[str, Path],
        port: int | None = None,
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.mounts = mounts
        self.port = port or free_port()
        self.user = user
        self.password = password
        self.proc: subprocess.Popen[str] | None = None

    def url(self, mount: str, user: str | None = None, password: str | None = None) -> str:
        creds = f"{user}:{password}@" if user else ""
        return f"rtsp://{creds}127.0.0.1:{self.port}/{mount}"

    def start(self, timeout_s: float = 15.0) -> None:
        cmd = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port)]
        for name, path in self.mounts.items():
            cmd += ["--mount", f"{name}={path}"]
        env = dict(os.environ)
        if self.user:
            cmd += ["--user", self.user, "--password-env", "RTSP_TEST_PASSWORD"]
            env["RTSP_TEST_PASSWORD"] = self.password or ""
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        deadline = time.monotonic() + timeout_s
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY"):
                return
            if not line and self.proc.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"RTSP server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: the stream dies as it would with a crashed camera or a cut cable."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
