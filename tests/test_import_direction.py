"""The arrows of docs/ARCHITECTURE.md, checked on the source (ast, no imports run).

Every import counts, the lazy ones inside functions too: a lazy import still ties the modules
together, it only moves the cost.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "store", "matcher", "detectors", "plate_reader", "api")

# (importer prefix, imported prefix, why not). A prefix is a dotted module name and covers the
# modules below it. ``pipeline.cli`` is the composition root: the one place that wires every
# package together (``serve`` starts the API, ``demo`` runs the matcher), so it is exempt.
FORBIDDEN: tuple[tuple[str, str, str], ...] = (
    ("store", "pipeline", "the store sits under the pipeline, the matcher and the API"),
    ("store", "matcher", "the matcher uses the store, not the other way"),
    ("store", "api", "the API uses the store, not the other way"),
    ("matcher", "api", "the API uses the matcher, not the other way"),
    ("matcher", "pipeline.cli", "commands use the matcher, not the other way"),
    ("api", "pipeline.cli", "commands use the API, not the other way"),
    ("detectors", "pipeline", "detectors know nothing of the frame loop"),
    ("plate_reader", "pipeline", "plate reading knows nothing of the frame loop"),
    ("detectors", "store", "detectors know nothing of the database"),
    ("plate_reader", "store", "plate reading knows nothing of the database"),
    ("detectors", "api", ""),
    ("plate_reader", "api", ""),
    ("detectors", "matcher", ""),
    ("plate_reader", "matcher", ""),
)
# What a lower layer may still use of the pipeline package: the published event contract, which
# imports nothing of ours (checked below).
ALLOWED: tuple[tuple[str, str], ...] = (
    ("store", "pipeline.events"),
    ("store", "pipeline.validation"),  # the one pydantic-error formatter, imports nothing of ours
)
# Modules of pipeline/ other than the CLI: the video loop, bus, workers. They do not import the
# API or the matcher.
PIPELINE_CORE_FORBIDDEN = ("api", "matcher")
# Left to the plate_reader work (reworked in parallel): ``make_ocr`` in ``plate_reader.ocr``
# imports its back-ends lazily and they import ``BaseOCR`` from it. Cycles inside that package
# are not checked here until it settles.
UNCHECKED_CYCLES_IN = "plate_reader"


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(module: str, path: Path) -> Iterator[str]:
    """First-party modules ``module`` imports (a name imported from a package counts as its
    submodule when there is one)."""
    known = _modules()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                yield target


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(_imports(m, p)) for m, p in _modules().items()}


def test_the_layer_rules_hold() -> None:
    broken = []
    for module, targets in _graph().items():
        for target in targets:
            if any(_under(module, a) and _under(target, b) for a, b in ALLOWED):
                continue
            for importer, imported, why in FORBIDDEN:
                if _under(module, importer) and _under(target, imported):
                    broken.append(f"{module} imports {target}: {why or 'wrong direction'}")
            if (
                _under(module, "pipeline")
                and not _under(module, "pipeline.cli")
                and any(_under(target, p) for p in PIPELINE_CORE_FORBIDDEN)
            ):
                broken.append(f"{module} imports {target}: only pipeline.cli wires those in")
    assert not broken, "\n".join(sorted(broken))


@pytest.mark.parametrize("module", ["pipeline.events", "pipeline.validation"])
def test_the_event_contract_imports_nothing_of_ours(module: str) -> None:
    """``store`` may use ``pipeline.events`` (and the error formatter) because they stand on
    their own."""
    assert _graph()[module] == frozenset()


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    # Tarjan's strongly connected components: a component of two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 and not all(_under(m, UNCHECKED_CYCLES_IN) for m in component):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", ["pipeline.cli.replay", "pipeline.cli.demo"])
def test_replay_orchestration_lives_outside_the_cli(module: str) -> None:
    """Both commands use ``pipeline.replay``; neither imports the other."""
    targets = _graph()[module]
    assert "pipeline.replay" in targets
    assert not targets & {"pipeline.cli.replay", "pipeline.cli.demo"}
