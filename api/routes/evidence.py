"""Evidence images by evidence id, resolved only through ``EvidenceStore.path_for``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EvidenceDep, ReaderDep
from pipeline.evidence import EvidenceStore
from store import Store
from store.models import Entry

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


def missing_evidence_warning(store: Store, evidence: EvidenceStore) -> str | None:
    """What to tell the operator at start-up when the store has entries but the evidence root
    is missing or holds no image: every photo would be a grey box, and nothing else says why."""
    if evidence.has_images():
        return None
    try:
        with store.session() as session:
            any_entry = session.execute(select(Entry.event_id).limit(1)).first()
    except SQLAlchemyError:  # a store not migrated yet has no entries to show either
        return None
    if any_entry is None:
        return None
    root = evidence.root.resolve()
    state = "does not exist" if not root.exists() else "holds no evidence images"
    return (
        f"evidence root {root} {state}, but the store has entries: the dashboard will show no "
        "photos. Point --evidence-dir (ENTRYWATCH_EVIDENCE_DIR) at the folder replay, demo or "
        "run wrote them to."
    )
