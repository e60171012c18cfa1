"""Who the caller is: the dashboard shows only the controls the key's role may use (an operator
never sees an admin-only button that would answer 403)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import Role, allows
from api.deps import ReaderDep

router = APIRouter(prefix="/api/me", tags=["auth"])


class MePublic(BaseModel):
    name: str = Field(description="The key's name (the audit's actor).")
    role: Role
    may: list[Role] = Field(description="Every role whose actions this key may take.")


@router.get("", response_model=MePublic)
async def me(who: ReaderDep) -> MePublic:
    return MePublic(name=who.name, role=who.role, may=[r for r in Role if allows(who.role, r)])
