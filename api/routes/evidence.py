"""Evidence images by evidence id, resolved only through ``EvidenceStore.path_for``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from api.deps import EvidenceDep, ReaderDep

router = APIRouter(prefix="/api/evidence", tags=["evidence"])


@router.get(
    "/{evidence_id:path}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The JPEG image"},
        400: {"description": "Not an evidence id"},
        404: {"description": "No such image"},
    },
)
def get_evidence(evidence_id: str, evidence: EvidenceDep, _: ReaderDep) -> FileResponse:
    """An evidence image (plate crop or vehicle snapshot) named in an entry's ``evidence``."""
    try:
        path = evidence.path_for(evidence_id)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    try:
        found = path.is_file()
    except OSError:  # a name too long for the file system (ENAMETOOLONG) is no image either
        found = False
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no evidence {evidence_id[:80]!r}")
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
