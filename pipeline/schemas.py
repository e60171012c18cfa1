"""Writes the published JSON Schemas under docs/schemas/ from the typed models."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from pipeline.events import EntryEvent, FlagEvent

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"

PUBLISHED: dict[str, type[BaseModel]] = {
    "entry_event.v1.json": EntryEvent,
    "flag_event.v1.json": FlagEvent,
}


def schema_text(model: type[BaseModel], filename: str) -> str:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://entrywatch.example/schemas/{filename}"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, model in PUBLISHED.items():
        path = directory / filename
        path.write_text(schema_text(model, filename), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p)
