"""The checkpoints registry (``pipeline.checkpoints``, from ``configs/checkpoints.yaml``):
public, since the declaration page offers it as a list to drivers who have no key."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import CheckpointsDep

router = APIRouter(prefix="/api/checkpoints", tags=["checkpoints"])


class CheckpointPublic(BaseModel):
    code: str = Field(description="What a declaration names: QL1A-PHONG-DIEN.")
    name_vi: str
    name_en: str
    cameras: list[str] = Field(description="Camera ids watching it.")


@router.get("", response_model=list[CheckpointPublic])
async def list_checkpoints(registry: CheckpointsDep) -> list[CheckpointPublic]:
    """Every configured checkpoint, in the file's order; empty when none is configured (then a
    declaration's checkpoints are not checked)."""
    return [CheckpointPublic.model_validate(cp.model_dump()) for cp in registry.checkpoints]
