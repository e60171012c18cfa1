"""FastAPI dependencies: the store, a session per request, settings, and the caller's key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import guard
from api.auth import Principal, Role, allows, authenticate, hash_token
from api.cache import TtlCache
from api.ratelimit import RateLimiter
from api.settings import Settings
from pipeline.checkpoints import CheckpointRegistry
from pipeline.evidence import EvidenceStore
from store import Store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    with store.session() as session:
        yield session


async def get_evidence(request: Request) -> EvidenceStore:
    evidence: EvidenceStore = request.app.state.evidence
    return evidence


async def get_checkpoints(request: Request) -> CheckpointRegistry:
    registry: CheckpointRegistry = request.app.state.checkpoints
    return registry


async def get_declare_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.declare_limiter
    return limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
EvidenceDep = Annotated[EvidenceStore, Depends(get_evidence)]
DeclareLimiterDep = Annotated[RateLimiter, Depends(get_declare_limiter)]
CheckpointsDep = Annotated[CheckpointRegistry, Depends(get_checkpoints)]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")

_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="entrywatch"'}


async def current_principal(
    request: Request,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = header_key or (bearer.credentials if bearer else None)
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "API key required: send it as X-API-Key or Authorization: Bearer",
            headers=_UNAUTHORIZED,
        )
    cache: TtlCache[Principal] = request.app.state.principal_cache
    digest = hash_token(token)
    principal = cache.get(digest)
    if principal is None:
        principal = await anyio.to_thread.run_sync(_authenticate, request.app.state.store, token)
        if principal is not None:
            cache.put(digest, principal)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "API key not recognised or revoked",
            headers=_UNAUTHORIZED,
        )
    return principal


def _authenticate(store: Store, token: str) -> Principal | None:
    with store.session() as session:
        return authenticate(session, token)


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not allows(principal.role, role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role.value!r} may not do this; needs {role.value!r}",
            )
        return principal

    return check


ReaderDep = Annotated[Principal, Depends(require(Role.INTEGRATOR))]
OperatorDep = Annotated[Principal, Depends(require(Role.OPERATOR))]
AdminDep = Annotated[Principal, Depends(require(Role.ADMIN))]


async def client_address(request: Request, settings: SettingsDep) -> str:
    """The client's address for rate limiting (X-Forwarded-For only when configured, and only
    from a trusted proxy)."""
    trusted = settings.trusted_proxies
    return guard.client_address(request.scope, settings.trust_forwarded_for, trusted)


ClientDep = Annotated[str, Depends(client_address)]
