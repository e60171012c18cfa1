"""The checkpoints registry: each checkpoint's code, its name in Vietnamese and English, and the
cameras that watch it, loaded from YAML (``configs/checkpoints.yaml``).

Declarations name checkpoints by code, and a code nobody configured never matches an entry (the
matcher compares the camera's ``checkpoint`` with the declaration's): so the API and the CSV
import refuse unknown codes (``store.schemas.check_checkpoints``) and the public form offers the
registry as a list. An empty registry (no file configured) checks nothing, as before there was one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Final

from pydantic import Field, ValidationError, field_validator

from pipeline.config import CAMERA_ID_LEN, ConfigError, ConfigModel, read_yaml_mapping
from pipeline.validation import describe_errors

# The shipped registry of the Thừa Thiên Huế sample deployment (the cameras of configs/).
DEFAULT_CHECKPOINTS: Final = Path("configs/checkpoints.yaml")
CODE_LEN = 128  # as the entries' checkpoint column (pipeline.events.NAME_LEN)

Code = Annotated[str, Field(min_length=1, max_length=CODE_LEN, pattern=r"^[A-Za-z0-9_.-]+$")]
CameraId = Annotated[
    str, Field(min_length=1, max_length=CAMERA_ID_LEN, pattern=r"^[A-Za-z0-9_.-]+$")
]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class CheckpointConfig(ConfigModel):
    code: Code = Field(description="What declarations and camera configs name: QL1A-PHONG-DIEN.")
    name_vi: Name = Field(description="Name shown to Vietnamese readers: Chốt QL1A Phong Điền.")
    name_en: Name = Field(description="Name shown to English readers.")
    cameras: list[CameraId] = Field(
        default_factory=list,
        description="Camera ids watching it (their camera config says this checkpoint); the "
        "dashboard lists them before their first frame.",
    )


class CheckpointsFile(ConfigModel):
    checkpoints: list[CheckpointConfig] = Field(min_length=1)

    @field_validator("checkpoints")
    @classmethod
    def _unique(cls, checkpoints: list[CheckpointConfig]) -> list[CheckpointConfig]:
        codes: dict[str, str] = {}
        cameras: dict[str, str] = {}
        for cp in checkpoints:
            # Declarations' codes are compared ignoring case (store.records), so two codes that
            # differ only in case would be one checkpoint.
            if cp.code.casefold() in codes:
                raise ValueError(f"checkpoint {cp.code!r} appears twice")
            codes[cp.code.casefold()] = cp.code
            for camera in cp.cameras:
                if camera in cameras:
                    raise ValueError(
                        f"camera {camera!r} is listed under {cameras[camera]!r} and {cp.code!r}"
                    )
                cameras[camera] = cp.code
        return checkpoints


class CheckpointRegistry:
    """The configured checkpoints, found by code in any case."""

    def __init__(self, checkpoints: Iterable[CheckpointConfig] = ()) -> None:
        self.checkpoints: tuple[CheckpointConfig, ...] = tuple(checkpoints)
        self._by_code = {cp.code.casefold(): cp for cp in self.checkpoints}

    def __bool__(self) -> bool:
        return bool(self.checkpoints)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(cp.code for cp in self.checkpoints)

    def get(self, code: str) -> CheckpointConfig | None:
        return self._by_code.get(code.casefold())

    def cameras(self) -> dict[str, str]:
        """Every configured camera id with its checkpoint's code."""
        return {camera: cp.code for cp in self.checkpoints for camera in cp.cameras}


def load_checkpoints(path: str | Path) -> CheckpointRegistry:
    """Load and validate a checkpoints YAML file; ``ConfigError`` names the file and field."""
    path = Path(path)
    raw = read_yaml_mapping(path, "checkpoints")
    try:
        parsed = CheckpointsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_errors(exc)}") from None
    return CheckpointRegistry(parsed.checkpoints)
