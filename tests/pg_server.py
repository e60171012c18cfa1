"""Throwaway PostgreSQL servers for the tests, and installing PostgreSQL where it is missing.

CI (a clean Debian machine, as root) runs, before the tests::

    python -m tests.pg_server install     # apt-get install postgresql, only if no server binary

The store tests call the same ``ensure_installed()`` themselves, so a developer who is root on
Debian needs nothing else; elsewhere they skip the PostgreSQL half with the reason (or fail, when
``CI`` is set). ``python -m tests.pg_server run`` starts a server by hand and prints its URL.

Each server lives in a temp dir: initdb there, listens on 127.0.0.1 on a free port with its unix
socket in the same dir, trust auth, durability off (the data is thrown away). initdb refuses to
run as root, so as root the server runs as ``nobody`` via ``runuser``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.debian import apt_install

log = logging.getLogger(__name__)

SERVICE_USER = "nobody"
SUPERUSER = "postgres"
_FAST_INIT = ("--no-locale", "--no-sync", "--no-instructions")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, and they cannot be installed."""


def find_bindir() -> Path | None:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` live (Debian keeps them off PATH)."""
    candidates: list[Path] = []
    if env := os.environ.get("PG_BINDIR"):
        candidates.append(Path(env))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: _version(p.parent.name), reverse=True)
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def ensure_installed() -> Path:
    """The server bindir, installing Debian's ``postgresql`` package first if it is missing."""
    if bindir := find_bindir():
        return bindir
    apt_install(
        ["postgresql"],
        "PostgreSQL server binaries not found (or set PG_BINDIR)",
        PostgresUnavailable,
    )
    if bindir := find_bindir():
        return bindir
    raise PostgresUnavailable(
        "installed 'postgresql' but found no initdb under /usr/lib/postgresql"
    )


class PostgresServer:
    def __init__(self, bindir: Path, settings: Mapping[str, str] | None = None) -> None:
        """``settings``: server parameters (``-c name=value``) beyond the test defaults, e.g.
        the memory a benchmark gives it."""
        self.bindir = bindir
        self.settings = dict(settings or {})
        self.port = 0
        self._dir: Path | None = None
        self._as_root = os.geteuid() == 0

    @property
    def datadir(self) -> Path:
        assert self._dir is not None, "server not started"
        return self._dir / "data"

    def start(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="entrywatch-pg-"))
        if self._as_root:
            shutil.chown(self._dir, SERVICE_USER)
        self._run(
            "initdb",
            ["-D", str(self.datadir), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", *_FAST_INIT],
        )
        self.port = _free_port()
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self._dir}",
                "-c listen_addresses=127.0.0.1",
                # Throwaway data: skip the disk flushes, they cost seconds on a shared machine.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                *(f"-c {name}={value}" for name, value in self.settings.items()),
            ]
        )
        log_file = self._dir / "server.log"
        self._run(
            "pg_ctl",
            [
                "-D",
                str(self.datadir),
                "-l",
                str(log_file),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        log.info("PostgreSQL test server on 127.0.0.1:%d (%s)", self.port, self._dir)

    def stop(self) -> None:
        if self._dir is None:
            return
        try:
            self._run("pg_ctl", ["-D", str(self.datadir), "-m", "immediate", "-w", "stop"])
        except RuntimeError:
            self._kill_postmaster()
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, locale: str | None = None) -> None:
        """A database; ``locale`` (e.g. ``C.UTF-8``) sets its collation, where the server's
        own is C (initdb ``--no-locale``): what a deployment's linguistic collation changes."""
        sql = f'CREATE DATABASE "{_identifier(name)}"'
        if locale is not None:
            if not re.fullmatch(r"[A-Za-z_]+(\.[A-Za-z0-9-]+)?", locale):
                raise ValueError(f"unsafe locale {locale!r}")
            sql += f" TEMPLATE template0 LOCALE '{locale}'"
        self._admin(sql)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{_identifier(name)}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.encode())

    def _run(self, tool: str, args: list[str]) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self._as_root:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            tail = ""
            if self._dir and (self._dir / "server.log").exists():
                tail = (self._dir / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr}\n{tail}")

    def _kill_postmaster(self) -> None:
        pidfile = self.datadir / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"unsafe database name {name!r}")
    return name


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)) or (0,)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pg_server")
    parser.add_argument("command", choices=["install", "run"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        bindir = ensure_installed()
    except PostgresUnavailable as exc:
        log.error("%s", exc)
        return 1
    log.info("PostgreSQL server binaries: %s", bindir)
    if args.command == "run":
        with PostgresServer(bindir) as server:
            log.info("%s  (Ctrl-C stops and deletes it)", server.url())
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
