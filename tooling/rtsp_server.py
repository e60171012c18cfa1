#!/usr/bin/python3
"""A small RTSP server for tests and benchmarks, on GStreamer's RTSP server (Debian packages).

Run it with the SYSTEM Python (the ``gi`` bindings live there, not in the virtual environment)::

    /usr/bin/python3 tooling/rtsp_server.py --port 8554 --mount cam1=/tmp/clip_h264.mp4 \
        [--mount cam2=...] [--user admin --password-env RTSP_TEST_PASSWORD] [--transcode]

Each ``--mount NAME=FILE`` serves FILE at ``rtsp://127.0.0.1:PORT/NAME``. FILE should be an
H.264 mp4 (``ffmpeg -i clip.mp4 -c:v libx264 -pix_fmt yuv420p out.mp4``): it is sent as is,
paced in real time, which costs the server almost no CPU. ``--transcode`` decodes any mp4 and
encodes H.264 on the fly instead (x264, needs gstreamer1.0-libav and gstreamer1.0-plugins-ugly;
costs CPU). Every client gets its own pipeline, so each connection starts at the beginning of the
file; the stream ends at the end of the file. With ``--user``, clients must send that user and
the password from the environment variable named by ``--password-env`` (basic auth).

Prints ``READY <port>`` on stdout once it listens; SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PASSTHROUGH = (
    "( filesrc location={path} ! qtdemux ! h264parse ! "
    "rtph264pay name=pay0 pt=96 config-interval=1 )"
)
TRANSCODE = (
    "( filesrc location={path} ! decodebin ! videoconvert ! "
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! "
    "rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def _auth(user: str, password: str) -> GstRtspServer.RTSPAuth:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    basic = GstRtspServer.RTSPAuth.make_basic(user, password)
    auth.add_basic(basic, token)
    return auth


def _factory(path: str, transcode: bool, with_auth: bool) -> GstRtspServer.RTSPMediaFactory:
    factory = GstRtspServer.RTSPMediaFactory()
    quoted = '"' + path.replace('"', '\\"') + '"'
    factory.set_launch((TRANSCODE if transcode else PASSTHROUGH).format(path=quoted))
    factory.set_shared(False)
    if with_auth:
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("user", "media.factory.access", True)
        perms.add_permission_for_role("user", "media.factory.construct", True)
        factory.set_permissions(perms)
    return factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--mount", action="append", default=[], help="NAME=FILE (repeatable)")
    parser.add_argument("--user", default=None)
    parser.add_argument("--password-env", default="RTSP_TEST_PASSWORD")
    parser.add_argument("--transcode", action="store_true")
    args = parser.parse_args(argv)
    if not args.mount:
        parser.error("give at least one --mount NAME=FILE")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.user:
        password = os.environ.get(args.password_env)
        if not password:
            parser.error(
                f"--user needs the password in the environment variable {args.password_env}"
            )
        server.set_auth(_auth(args.user, password))
    mounts = server.get_mount_points()
    for spec in args.mount:
        name, sep, path = spec.partition("=")
        if not sep or not os.path.isfile(path):
            parser.error(f"--mount {spec!r}: expected NAME=FILE with an existing FILE")
        mounts.add_factory("/" + name.strip("/"), _factory(path, args.transcode, bool(args.user)))
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
