"""Camera health, as the workers report it; "stale" when no frame came for a while. Cameras of
the checkpoints registry that no worker has reported yet are listed too, as "waiting", so a
freshly configured (or never started) camera is seen missing instead of not seen at all."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import CheckpointsDep, ReaderDep, SessionDep, SettingsDep
from api.schemas import CameraPublic
from store.models import CameraStatus, utcnow

router = APIRouter(prefix="/api/cameras", tags=["cameras"])


@router.get("", response_model=list[CameraPublic])
def list_cameras(
    session: SessionDep, settings: SettingsDep, registry: CheckpointsDep, _: ReaderDep
) -> list[CameraPublic]:
    now = utcnow()
    out = []
    for row in session.scalars(select(CameraStatus).order_by(CameraStatus.camera_id)):
        age = (now - row.last_frame_at).total_seconds() if row.last_frame_at else None
        state = row.status
        if state == "ok" and (age is None or age > settings.camera_stale_after_s):
            state = "stale"
        out.append(
            CameraPublic(
                camera_id=row.camera_id,
                checkpoint=row.checkpoint,
                last_frame_at=row.last_frame_at,
                age_s=age,
                fps=row.fps,
                frames_dropped=row.frames_dropped,
                reconnects=row.reconnects,
                inference_ms=row.inference_ms,
                status=state,  # type: ignore[arg-type]
                error=row.error,
                updated_at=row.updated_at,
            )
        )
    reported = {c.camera_id for c in out}
    for camera_id, checkpoint in registry.cameras().items():
        if camera_id not in reported:
            out.append(_waiting(camera_id, checkpoint))
    return sorted(out, key=lambda c: c.camera_id)


def _waiting(camera_id: str, checkpoint: str) -> CameraPublic:
    return CameraPublic(
        camera_id=camera_id,
        checkpoint=checkpoint,
        last_frame_at=None,
        age_s=None,
        fps=None,
        frames_dropped=0,
        reconnects=0,
        inference_ms=None,
        status="waiting",
        error=None,
        updated_at=None,
    )
