"""A real, single-node Kafka broker (KRaft, broker+controller in one JVM) for development and tests.

The broker's jars come from Maven Central through ``tooling/kafka/pom.xml`` into a cache outside
the git tree (``.cache/kafka/<version>/lib``; ``ENTRYWATCH_KAFKA_CACHE`` moves the root), fetched
once. Only Java 17+ and Maven are needed.

CLI (``python tooling/kafka_broker.py ...``)::

    fetch                       put the classpath in the cache
    start [--port P]            start in the background, print the bootstrap address, exit
    stop                        SIGTERM the background broker and wait
    run [--port P]              foreground; Ctrl-C stops it (``make kafka``)

Python::

    with KafkaBroker() as broker:        # temp data dir, free ports
        bus = open_bus(broker.url)       # "kafka://127.0.0.1:<port>"
        broker.restart()                 # same port, same data: the broker goes away and returns
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType

log = logging.getLogger("entrywatch.kafka_broker")

KAFKA_VERSION = os.environ.get("ENTRYWATCH_KAFKA_VERSION", "4.2.1")
REPO_ROOT = Path(__file__).resolve().parent.parent
POM = REPO_ROOT / "tooling" / "kafka" / "pom.xml"
DEFAULT_DATA_DIR = REPO_ROOT / ".cache" / "kafka" / "dev"
STATE_FILE = "broker.json"
HOST = "127.0.0.1"


class BrokerError(RuntimeError):
    """The broker could not be fetched, started or stopped; the message says where to look."""


# --- classpath -----------------------------------------------------------------------------


def cache_root() -> Path:
    return Path(os.environ.get("ENTRYWATCH_KAFKA_CACHE") or REPO_ROOT / ".cache" / "kafka")


def fetch(version: str = KAFKA_VERSION) -> Path:
    """Return the cached lib dir for ``version``, running Maven the first time only."""
    lib = cache_root() / version / "lib"
    done = lib / ".complete"
    if done.exists():
        return lib
    if shutil.which("mvn") is None:
        raise BrokerError("Maven (mvn) is not on PATH; it is needed once to fetch the Kafka jars")
    lib.parent.mkdir(parents=True, exist_ok=True)
    # A lock, so two test sessions or a test and `make kafka` starting together fetch once.
    with open(lib.parent / ".fetch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return lib
        partial = lib.parent / "lib.partial"
        shutil.rmtree(partial, ignore_errors=True)
        log.info("fetching Kafka %s jars from Maven into %s (first time only)", version, lib)
        cmd = [
            "mvn", "-q", "-B", "-f", str(POM), f"-Dkafka.version={version}",
            "dependency:copy-dependencies", "-DincludeScope=runtime",
            f"-DoutputDirectory={partial}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise BrokerError(f"maven fetch failed:\n{proc.stdout}\n{proc.stderr}")
        shutil.rmtree(lib, ignore_errors=True)
        partial.rename(lib)  # atomic: a half-fetched dir is never mistaken for a complete one
        done.write_text(version + "\n")
    return lib


# --- configuration -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # As the broker binds: connections left in TIME_WAIT by a stopped broker don't count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def cluster_id() -> str:
    # Kafka's Uuid text form: URL-safe base64 of 16 bytes, no padding, never starting with "-"
    # (its own tool rerolls those). Made here to save a JVM start.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir / "kraft"),
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # One partition for the internal topics: creating 50 on first group use costs seconds.
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.num.partitions": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Like most production clusters: topics come from the bus's admin client, not from typos.
        "auto.create.topics.enable": "false",
        # Small machine, shared cores.
        "num.network.threads": "2",
        "num.io.threads": "2",
        "background.threads": "2",
    }
    return "".join(f"{k}={v}\n" for k, v in props.items())


def log4j_config(log_file: Path, console_level: str) -> str:
    # Console goes to stderr so stdout stays for the bootstrap address; the file keeps INFO.
    # shutdownHook=disable: log4j would otherwise stop logging before Kafka logs its shutdown.
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <Console name="stderr" target="SYSTEM_ERR">
      <ThresholdFilter level="{console_level}"/>
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
    <File name="file" fileName="{log_file}">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="stderr"/><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.clients" level="WARN"/>
  </Loggers>
</Configuration>
"""


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def _die_with_parent() -> None:
    # Linux: a test broker must not outlive a killed pytest (PR_SET_PDEATHSIG = 1).
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


# --- the broker ----------------------------------------------------------------------------


class KafkaBroker:
    """One broker process. ``start``/``stop``/``restart`` keep the port and the data dir.

    ``data_dir=None`` uses a temporary dir removed by ``close()``/``__exit__``. Ports left as
    ``None`` are chosen free on first start, or reused from the data dir's state file.
    ``console=True`` shares this process's stderr (warnings and errors); otherwise the JVM's
    output goes to ``<data_dir>/logs/``. ``detach=True`` lets the process outlive Python (the CLI
    ``start``); otherwise, when started from the main thread, it is SIGTERMed if Python dies.
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        port: int | None = None,
        controller_port: int | None = None,
        version: str = KAFKA_VERSION,
        heap: str = "512m",
        startup_timeout_s: float = 120.0,
        console: bool = False,
        detach: bool = False,
    ) -> None:
        self._owns_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="entrywatch-kafka-")).resolve()
        self.port = port
        self.controller_port = controller_port
        self.version = version
        self.heap = heap
        self.startup_timeout_s = startup_timeout_s
        self.console = console
        self.detach = detach
        self._proc: subprocess.Popen[bytes] | None = None
        self._pinned = {p for p in (port, controller_port) if p is not None}

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise BrokerError("broker not started yet")
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The EntryWatch bus URL for this broker."""
        return f"kafka://{self.bootstrap}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> KafkaBroker:
        if self.is_running():
            return self
        lib = fetch(self.version)
        self._choose_ports()
        assert self.port is not None and self.controller_port is not None
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        props = self.data_dir / "server.properties"
        props.write_text(server_properties(self.data_dir, self.port, self.controller_port))
        log4j = self.data_dir / "log4j2.xml"
        log4j.write_text(log4j_config(self.log_file, "WARN" if self.console else "OFF"))
        java = self._java(lib, log4j)
        if not (self.data_dir / "kraft" / "meta.properties").exists():
            fmt = [*java, "kafka.tools.StorageTool", "format", "--standalone", "-g",
                   "-t", cluster_id(), "-c", str(props)]  # fmt: skip
            proc = subprocess.run(fmt, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise BrokerError(f"storage format failed:\n{proc.stdout}\n{proc.stderr}")
        # The JVM's own output (crashes, GC warnings) lands here unless a terminal is wanted.
        out = open(self.data_dir / "logs" / "console.log", "ab")  # noqa: SIM115 - child owns it
        stderr = None if self.console else out
        # PDEATHSIG fires when the forking *thread* ends, so only arm it from the main thread.
        die_with_us = not self.detach and threading.current_thread() is threading.main_thread()
        started = time.monotonic()
        self._proc = subprocess.Popen(
            [*java, "kafka.Kafka", str(props)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=stderr,
            start_new_session=True,  # Ctrl-C in a terminal is ours to turn into a clean stop
            preexec_fn=_die_with_parent if die_with_us else None,
        )
        out.close()
        self._write_state()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        log.info("kafka %s up at %s in %.1fs", self.version, self.bootstrap,
                 time.monotonic() - started)  # fmt: skip
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Clean shutdown (SIGTERM), waiting for it; SIGKILL only past the timeout."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("kafka did not stop in %.0fs; killing it", timeout_s)
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        self._write_state()  # pid gone, ports kept: the next start reuses them

    def restart(self) -> KafkaBroker:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- internals --

    def _java(self, lib: Path, log4j: Path) -> list[str]:
        return [
            java_binary(), f"-Xmx{self.heap}", "-Xms64m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
            f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{lib}/*",
        ]  # fmt: skip

    def _choose_ports(self) -> None:
        if self.port is None or self.controller_port is None:
            saved = read_state(self.data_dir) or {}
            self.port = self.port or _int_or_none(saved.get("port"))
            self.controller_port = self.controller_port or _int_or_none(
                saved.get("controller_port")
            )
        # A remembered port someone else took since is not worth failing for; a given one is.
        if self.port is None or (self.port not in self._pinned and not port_is_free(self.port)):
            self.port = free_port()
        cport = self.controller_port
        if cport is None or (cport not in self._pinned and not port_is_free(cport)):
            cport = self.controller_port = free_port()
        # From now on this object's ports are fixed: restart() promises the same address.
        self._pinned |= {self.port, cport}

    def _write_state(self) -> None:
        state = {"pid": self.pid, "port": self.port, "controller_port": self.controller_port,
                 "bootstrap": self.bootstrap, "version": self.version,
                 "log": str(self.log_file)}  # fmt: skip
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise BrokerError(
                    f"kafka exited during start-up; see {self.log_file}\n{self._tail()}"
                )
            if answers_metadata(self.bootstrap):
                return
            time.sleep(0.25)
        raise BrokerError(
            f"kafka not ready after {self.startup_timeout_s:.0f}s; see {self.log_file}"
        )

    def _tail(self, lines: int = 30) -> str:
        text = ""
        for f in (self.log_file, self.data_dir / "logs" / "console.log"):
            with contextlib.suppress(OSError):
                text += "\n".join(f.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text


def answers_metadata(bootstrap: str) -> bool:
    """True once the broker answers a cluster metadata request and knows its controller."""
    host, _, port = bootstrap.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False  # cheap check first: the admin client logs loudly on refused connections
    from kafka.admin import (
        KafkaAdminClient,  # the project's dependency; imported late to keep CLI light
    )

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=3000, bootstrap_timeout_ms=3000
        )
    except Exception:
        return False
    try:
        info = admin.describe_cluster()
        return bool(info.get("brokers")) and info.get("controller_id", -1) >= 0
    except Exception:
        return False
    finally:
        admin.close()


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else None


def read_state(data_dir: Path) -> dict[str, object] | None:
    try:
        state: dict[str, object] = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state


def _pid_is_our_broker(pid: int, data_dir: Path) -> bool:
    # Guard against a recycled pid: the command line must name this data dir's properties file.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return str(data_dir / "server.properties") in cmdline


def stop_detached(data_dir: Path, timeout_s: float = 30.0) -> bool:
    """Stop a broker started by ``start`` (CLI) from its state file; False if none ran."""
    state = read_state(data_dir)
    pid = state.get("pid") if state else None
    if not isinstance(pid, int) or not _pid_is_our_broker(pid, data_dir):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _pid_is_our_broker(pid, data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _pid_is_our_broker(pid, data_dir):
        log.warning("kafka pid %d did not stop in %.0fs; killing it", pid, timeout_s)
        os.kill(pid, signal.SIGKILL)
    if state:
        (data_dir / STATE_FILE).write_text(json.dumps({**state, "pid": None}, indent=2) + "\n")
    return True


# --- CLI -----------------------------------------------------------------------------------


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kafka_broker", description=__doc__.split("\n")[0])
    parser.add_argument("--version", dest="kafka_version", default=KAFKA_VERSION)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch", help="fetch the broker jars into the cache")
    for name in ("start", "run", "stop"):
        p = sub.add_parser(name)
        p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
        if name != "stop":
            p.add_argument("--port", type=int, default=None)
            p.add_argument("--controller-port", type=int, default=None)
            p.add_argument("--heap", default="512m")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("kafka").setLevel(logging.ERROR)  # the readiness probe's refused connects

    if args.cmd == "fetch":
        started = time.monotonic()
        lib = fetch(args.kafka_version)
        log.info("jars in %s (%.1fs)", lib, time.monotonic() - started)
        return 0
    data_dir = args.data_dir.resolve()
    if args.cmd == "stop":
        if not stop_detached(data_dir):
            log.info("no broker running from %s", data_dir)
        return 0
    if stop_detached(data_dir):
        log.info("stopped the broker already running from %s", data_dir)
    broker = KafkaBroker(
        data_dir, port=args.port, controller_port=args.controller_port,
        version=args.kafka_version, heap=args.heap, detach=args.cmd == "start",
        console=args.cmd == "run",
    )  # fmt: skip
    try:
        broker.start()
    except BrokerError as e:
        log.error("%s", e)
        return 1
    print(broker.bootstrap, flush=True)  # the one line on stdout: scripts read it
    if args.cmd == "start":
        return 0
    # Foreground: wait for the JVM; Ctrl-C or SIGTERM turns into a clean stop.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    log.info("kafka running at %s (data %s); Ctrl-C stops it", broker.bootstrap, data_dir)
    try:
        while broker.is_running():
            time.sleep(0.5)
        log.error("kafka exited on its own; see %s", broker.log_file)
        return 1
    except KeyboardInterrupt:
        log.info("stopping kafka")
        broker.stop()
        return 0


if __name__ == "__main__":
    sys.exit(main())
