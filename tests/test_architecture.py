"""The layering in STYLE.md, enforced: the core is pure, the sandbox is an independent reading."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "capi_desktop"


def _modules(folder: str) -> list[str]:
    return sorted(
        "capi_desktop." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for p in (PACKAGE / folder).rglob("*.py")
    )


def _imported_names(folder: str) -> set[str]:
    names = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def _loaded_after_import(modules: list[str]) -> set[str]:
    """Import ``modules`` in a fresh interpreter and report every module that ended up loaded."""
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(list(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out))


def test_core_loads_neither_qt_nor_http() -> None:
    loaded = _loaded_after_import(_modules("core"))
    # stdlib http.client may load (keyring's jaraco helpers import urllib.request); our HTTP stack may not.
    forbidden = {m for m in loaded if m.split(".")[0] in {"PySide6", "shiboken6", "requests", "urllib3"}}
    forbidden |= {
        m for m in loaded if m.startswith(("capi_desktop.gui", "capi_desktop.linkedin", "capi_desktop.sandbox"))
    }
    assert forbidden == set()


@pytest.mark.parametrize(
    ("folder", "banned"),
    [
        (
            "core",
            ("PySide6", "requests", "capi_desktop.gui", "capi_desktop.linkedin", "capi_desktop.sandbox"),
        ),
        ("linkedin", ("PySide6", "capi_desktop.gui", "capi_desktop.sandbox")),
        (
            "sandbox",
            ("PySide6", "requests", "capi_desktop.core", "capi_desktop.linkedin", "capi_desktop.gui"),
        ),
    ],
)
def test_layers_do_not_import_what_they_must_not(folder: str, banned: tuple[str, ...]) -> None:
    offending = {name for name in _imported_names(folder) if name.startswith(banned)}
    assert offending == set()


def test_the_check_itself_sees_a_forbidden_import() -> None:
    # Guard against a vacuous pass: the GUI layer does load Qt, and the scanner must notice.
    assert any(name.startswith("PySide6") for name in _imported_names("gui"))


# What the wizard and the command line may take from the core directly: value types, errors and the
# stores and report writers not yet behind the application layer. Reading, staging, the journal's
# writes and the upload engine are reached only through ``capi_desktop.app``.
FRONT_ENDS_MAY_IMPORT_FROM_CORE = {
    "capi_desktop.core.control": {"Control"},
    "capi_desktop.core.delivery.apiversion": {"version_note"},
    "capi_desktop.core.normalise.dates": {"DateOrder", "day_words", "format_day", "local_timezone", "resolve_timezone"},
    "capi_desktop.core.delivery": {"AuthFailure", "TransientFailure"},
    "capi_desktop.core.example": {"example_path", "write_example"},
    "capi_desktop.core.journal": {"DeliveryCounts", "Journal", "JournalError", "JournalRow", "RowState"},
    "capi_desktop.core.stores.keychain": {"Keychain", "KeychainError"},
    "capi_desktop.core.mapping": {
        "ColumnMapping",
        "Field",
        "ImportOptions",
        "RuleChoice",
        "parse_constant_value",
        "parse_rule_map",
    },
    "capi_desktop.core.normalise.money": {"normalise_currency"},
    "capi_desktop.core.normalise.problems": {"ValueProblem"},
    "capi_desktop.core.stores.profiles": {"Profile", "ProfileError", "ProfileStore"},
    "capi_desktop.core.reading": {"Cell", "SpreadsheetError", "Table"},
    "capi_desktop.core.reports": {"preview_fields", "write_preview", "write_problems_report", "write_template"},
    "capi_desktop.core.stores.settings": {"Settings", "SettingsError", "SettingsStore"},
    "capi_desktop.core.staging": {"ImportCancelled", "StageSummary"},
    "capi_desktop.core.storage": {"StorageError"},
    "capi_desktop.core.support": {"recent_log_lines", "system_info", "write_support_bundle"},
    "capi_desktop.core.stores.tokens": {"REQUIRED_SCOPES", "Storage", "TokenSource"},
    "capi_desktop.core.delivery.engine": {
        "MAX_BATCH",
        "REPORTING_NOTE",
        "Pace",
        "UploadConfig",
        "UploadProgress",
    },
}


def _core_names_imported(folder: str) -> set[tuple[str, str]]:
    found = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("capi_desktop.core"):
                found.update((node.module, alias.name) for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update((a.name, "*") for a in node.names if a.name.startswith("capi_desktop.core"))
    return found


@pytest.mark.parametrize("folder", ["gui", "cli"])
def test_front_ends_reach_the_core_through_the_application_layer(folder: str) -> None:
    imported = _core_names_imported(folder)
    assert imported, "the scan found no core import at all"  # a vacuous pass would hide a broken scanner
    outside = {(m, n) for m, n in imported if n not in FRONT_ENDS_MAY_IMPORT_FROM_CORE.get(m, set())}
    assert outside == set()


def test_the_application_layer_holds_no_qt() -> None:
    assert not {name for name in _imported_names("app") if name.startswith(("PySide6", "capi_desktop.gui"))}


def _core_import_graph() -> dict[str, set[str]]:
    """Each core module and the core modules it imports at load time (not under TYPE_CHECKING, not
    inside functions)."""
    graph: dict[str, set[str]] = {}
    modules = set(_modules("core"))
    for module in modules:
        relative = module.removeprefix("capi_desktop.").split(".")
        path = PACKAGE.joinpath(*relative[:-1], relative[-1] + ".py")
        if not path.exists():
            path = PACKAGE.joinpath(*relative, "__init__.py")
        tree = ast.parse(path.read_text())
        found: set[str] = set()
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {name for name in names if name in modules and name != module}
        # A package's own submodules are loaded through it: its __init__ is not a dependency of theirs.
        graph[module] = {name for name in found if not module.startswith(name + ".")}
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """An import circle in ``graph``, as the modules along it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            if (found := visit(imported, [*path, module])) is not None:
                return found
        done.add(module)
        return None

    return next((found for module in sorted(graph) if (found := visit(module, [])) is not None), None)


def test_the_core_has_no_import_circle() -> None:
    graph = _core_import_graph()
    assert "capi_desktop.core.journal" in graph["capi_desktop.core.staging.engine"]  # the scan sees imports
    assert _circle(graph) is None
    assert _circle({**graph, "capi_desktop.core.journal.job": {"capi_desktop.core.staging.engine"}}) is not None


def test_the_pipeline_is_visible_in_the_core_packages() -> None:
    packages = {p.name for p in PACKAGE.joinpath("core").iterdir() if (p / "__init__.py").exists()}
    assert {"reading", "mapping", "normalise", "staging", "journal", "delivery", "stores"} <= packages


def test_no_core_module_is_over_430_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.joinpath("core").rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 430
    }
    assert long == {}
