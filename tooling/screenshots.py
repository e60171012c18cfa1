"""Screenshots of the dashboard's main screens in Vietnamese and English (``make screenshots``).

Runs the demo (the sample clips through the real models, matched against the sample
declarations) into ``out/screenshots``, serves its store and evidence on 127.0.0.1, and has
Debian's headless Chromium (driven by Playwright) take each screen at 1440x900::

    python -m tooling.screenshots [--out docs/screenshots] [--reuse]

``--reuse`` takes the store and evidence of an earlier run instead of replaying again. Writes
``<lang>-<screen>.png`` for lang vi and en and screen flags, detail, search, reports, cameras.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger("screenshots")

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "out" / "screenshots"
SIZE = {"width": 1440, "height": 900}
LANGS = ("vi", "en")


def run_demo(work: Path) -> None:
    from rich.console import Console

    from pipeline.cli.demo import run_demo as demo
    from pipeline.cli.demo import samples_dir

    samples = samples_dir()
    quiet = Console(stderr=True, quiet=True)
    code = demo(
        samples,
        None,
        samples / "declarations.csv",
        work,
        Console(stderr=True),
        results=quiet,
        evidence_dir=work / "evidence",
    )
    if code != 0:
        raise SystemExit(f"the demo failed (exit {code}); see above")


class Server:
    """The app under uvicorn on a free port of 127.0.0.1, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise SystemExit("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _wait(page: Any, expression: str, timeout_s: float = 10.0) -> None:
    """Poll ``expression`` (the dashboard's CSP forbids wait_for_function's compiled strings)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        time.sleep(0.1)


def _images_loaded(page: Any, selector: str) -> None:
    images = f"[...document.querySelectorAll('{selector} img')]"
    _wait(page, f"{images}.length > 0 && {images}.every(i => i.complete && i.naturalWidth)")


def shoot(url: str, key: str, out: Path, last_hour: str, search: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.api.browser import ARGS, ensure_chromium

    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(ensure_chromium()), args=ARGS)
        for lang in LANGS:
            context = browser.new_context(viewport=SIZE, device_scale_factor=1)
            context.add_init_script(
                f"localStorage.setItem('entrywatch.lang', '{lang}');"
                f"sessionStorage.setItem('entrywatch.key', '{key}');"
            )
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_selector("#live.on", timeout=15_000)
            page.wait_for_selector('[data-testid="flag"]', timeout=15_000)
            _images_loaded(page, "#flag-list")

            def save(name: str, lang: str = lang, page: Any = page) -> None:
                path = out / f"{lang}-{name}.png"
                page.screenshot(path=str(path))
                written.append(path)
                log.info("%s", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

            save("flags")
            page.locator('[data-testid="flag"] button[data-action="detail"]').first.click()
            page.wait_for_selector('[data-testid="candidate"]', timeout=10_000)
            _images_loaded(page, "#detail-dialog")
            save("detail")
            page.keyboard.press("Escape")

            page.click('.tab[data-view="entries"]')
            page.fill("#entry-filters input[name=plate]", search)
            loads = page.evaluate("entrywatch.loads.entries")
            page.click("#entry-filters button[type=submit]")
            _wait(page, f"entrywatch.loads.entries > {loads}")
            save("search")

            page.click('.tab[data-view="reports"]')
            page.fill("#report-filters input[name=until]", last_hour)
            page.click("#report-filters button[type=submit]")
            page.wait_for_selector("#chart canvas", timeout=10_000)
            save("reports")

            page.click('.tab[data-view="cameras"]')
            page.wait_for_selector("#camera-rows tr", timeout=10_000)
            save("cameras")
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--reuse", action="store_true", help="Use the store and evidence of an earlier run."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from sqlalchemy import func, select

    from api.auth import Role, create_key
    from api.main import create_app
    from api.settings import Settings
    from store import open_store
    from store.models import Entry, Flag

    db = WORK / "entrywatch.db"
    if not (args.reuse and db.is_file()):
        run_demo(WORK)
    url = f"sqlite:///{db}"
    with open_store(url) as store:
        with store.transaction() as session:
            _, key = create_key(session, f"screenshots-{int(time.time())}", Role.OPERATOR)
        with store.session() as session:
            last = session.execute(select(func.max(Entry.crossed_at))).scalar_one()
            search = session.execute(
                select(Entry.plate_normalised).join(Flag, Flag.event_id == Entry.event_id)
                .where(Entry.plate_normalised.is_not(None)).order_by(Flag.id).limit(1)
            ).scalar_one()  # fmt: skip
        if last is None:
            raise SystemExit(f"{db}: the demo left no entries")
        if isinstance(last, str):
            from datetime import datetime

            last = datetime.fromisoformat(last)
        # The report's "until" field takes the browser's local time; the chart ends after it.
        local_last = (last.astimezone() if last.tzinfo else last) - timedelta(minutes=1)
        settings = Settings(db_url=url, evidence_root=WORK / "evidence")
        args.out.mkdir(parents=True, exist_ok=True)
        with Server(create_app(settings, store=store)) as base:
            written = shoot(base, key, args.out, local_last.strftime("%Y-%m-%dT%H:%M"), search[:3])
    log.info("%d screenshots in %s", len(written), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
