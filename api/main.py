"""The EntryWatch API app factory: REST routes, live flag stream, dashboard and metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from starlette.types import Scope

from api.alerts import WebhookAlerts
from api.auth import Principal
from api.cache import SingleFlight, TtlCache
from api.docs import mount_docs
from api.guard import InputGuard, SecurityHeaders, client_address, validation_error
from api.idempotency import IdempotencyKeys
from api.metrics import ApiMetrics, MetricsMiddleware
from api.ratelimit import RateLimiter
from api.routes import (
    cameras,
    checkpoints,
    declarations,
    entries,
    evidence,
    flags,
    health,
    me,
    stats,
    watchlist,
)
from api.settings import Settings
from pipeline.checkpoints import CheckpointRegistry, load_checkpoints
from pipeline.evidence import EvidenceStore
from store import Store, migrate, open_store

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
API_VERSION = "1.0.0"
# The dashboard loads nothing from elsewhere; evidence images arrive as blob: URLs.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def open_api_store(settings: Settings) -> Store:
    """The store with a connection pool big enough for the request thread pool."""
    url = make_url(settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        store = open_store(settings.db_url)  # one shared in-memory connection
    else:
        store = open_store(settings.db_url, pool_size=10, max_overflow=30, pool_timeout=10)
    if settings.migrate_on_start:
        migrate(store)
    return store


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app. Given a ``store`` (or one set on ``app.state.store`` before start-up), the
    caller owns it; else one is opened from settings at start-up and closed at shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = getattr(app.state, "store", None) is None
        if owned:
            app.state.store = open_api_store(settings)
        log.info("EntryWatch API on a %s store", app.state.store.dialect)
        warning = evidence.missing_evidence_warning(app.state.store, app.state.evidence)
        if warning:
            log.warning("%s", warning)
        alerts = None
        if settings.webhooks:
            hooks = WebhookAlerts(app.state.store, settings.webhooks, settings.webhook_timeout_s)
            alerts = asyncio.create_task(hooks.run(settings.webhook_poll_s))
        try:
            yield
        finally:
            if alerts is not None:
                alerts.cancel()
                with suppress(asyncio.CancelledError):
                    await alerts
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="EntryWatch API",
        version=API_VERSION,
        description=(
            "Declarations, entries, flags and camera health of EntryWatch. Send an API key as "
            "`X-API-Key` or `Authorization: Bearer`; filing a declaration needs none. Errors "
            'answer `{"detail": ...}`.'
        ),
        lifespan=lifespan,
        docs_url=None,  # served from the package's own assets: api/docs.py
        redoc_url=None,
    )
    metrics = ApiMetrics()
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.evidence = EvidenceStore(settings.evidence_root)
    app.state.declare_limiter = RateLimiter(
        settings.declare_rate_limit, settings.declare_rate_window_s
    )
    app.state.idempotency_keys = IdempotencyKeys()
    # Loaded once, at build: a bad file stops the server with the file and field named.
    app.state.checkpoints = (
        load_checkpoints(settings.checkpoints_file)
        if settings.checkpoints_file is not None
        else CheckpointRegistry()
    )
    if store is not None:
        app.state.store = store
    app.state.flag_list_cache = TtlCache[bytes](settings.list_cache_s)
    app.state.flag_list_flight = SingleFlight[bytes]()
    app.state.principal_cache = TtlCache[Principal](settings.auth_cache_s, max_entries=10_000)
    proxies = frozenset(settings.trusted_proxies)

    def declare_rate(scope: Scope) -> float | None:
        # Before the body is read: a flood of declarations costs no parsing.
        client = client_address(scope, settings.trust_forwarded_for, proxies)
        limiter: RateLimiter = app.state.declare_limiter
        return limiter.hit(client)

    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_middleware(
        InputGuard,
        max_body=settings.max_body_bytes,
        unlimited_paths={"/api/declarations/import"},  # its own limit: max_upload_bytes
        rate_limits={("POST", "/api/declarations"): (declare_rate, "declarations")},
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(SecurityHeaders)  # outermost: every answer, the guard's refusals too

    routes = (declarations, entries, flags, evidence, stats, cameras, health)
    for module in (*routes, watchlist, checkpoints, me):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_docs(app)

    @app.get("/", include_in_schema=False)
    def dashboard() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_PAGE_HEADERS)

    @app.get("/declare", include_in_schema=False)
    def declare_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "declare.html", headers=_PAGE_HEADERS)

    return app
