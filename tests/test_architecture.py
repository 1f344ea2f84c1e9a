"""The layers (docs/architecture.md): the contracts hold, and they do catch an upward arrow or a circle."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts, on the package `pd` found under `tree`."""
    return subprocess.run([str(LINT), "--no-cache", str(tree / "pyproject.toml")], cwd=tree, capture_output=True,
                          text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=300)


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "pd", tree / "pd", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_tree_keeps_every_contract():
    r = lint(ROOT)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "0 broken" in r.stdout


@pytest.mark.parametrize("module, line, contract", [
    # the store reaching up into the process
    ("pd/db/models.py", "from pd import desk", "pd's layers"),
    # a circle inside the process: the lateness rule asking the queue
    ("pd/lateness.py", "from pd import queue", "pd's layers"),
    # mail out asking the desk
    ("pd/notify/notices.py", "from pd.desk import Desk", "pd's layers"),
    # a command reading the store itself
    ("pd/commands/search.py", "from pd.db.models import Request", "never from the store"),
    # the start-up path pulling in openpyxl
    ("pd/desk.py", "import openpyxl", "start-up path stays light"),
])
def test_an_upward_arrow_or_a_circle_breaks_a_contract(copy, module, line, contract):
    path = copy / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # injected by the test\n")
    try:
        r = lint(copy)
    finally:
        path.write_text(original)
    assert r.returncode != 0
    broken = [ln for ln in r.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken) or contract in r.stdout.split("Broken contracts")[-1], r.stdout[-2000:]


def _function_imports() -> list[tuple[str, int, str, bool]]:
    """(file, line, text, is pd's own) for every import inside a function below the Face."""
    out = []
    for path in sorted((ROOT / "pd").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ("pd/cli.py", "pd/__main__.py") or rel.startswith("pd/commands/"):
            continue
        source = path.read_text()
        lines = source.splitlines()
        seen: set[int] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)) and id(inner) not in seen:
                        seen.add(id(inner))
                        own = isinstance(inner, ast.ImportFrom) and (
                            inner.level > 0 or (inner.module or "").startswith("pd"))
                        out.append((rel, inner.lineno, lines[inner.lineno - 1], own))
    return out


def test_imports_stand_at_module_heads_below_the_face():
    found = _function_imports()
    assert len(found) <= 60  # the exceptions: where the start-up benchmark shows the cost
    # each exception says why it is one (a comment on its line, or "(as above)" on its neighbours')
    first_of_group = [f for f in found if "#" not in f[2]]
    for rel, lineno, text, _ in first_of_group:
        before = _function_imports_at(rel, lineno - 1)
        assert before is not None and "#" in before, f"{rel}:{lineno}: {text.strip()} has no reason"


def _function_imports_at(rel: str, lineno: int) -> str | None:
    lines = (ROOT / rel).read_text().splitlines()
    return lines[lineno - 1] if 0 < lineno <= len(lines) else None


def test_every_module_stands_in_a_layer():
    """A module left out of the layers contract would be checked by nothing: each of pd's top-level
    modules and packages is named in it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {m.strip() for layer in layers for m in layer.replace(":", "|").split("|")}
    tops = {f"pd.{p.stem}" for p in (ROOT / "pd").glob("*.py") if p.stem != "__init__"}
    tops |= {f"pd.{p.name}" for p in (ROOT / "pd").iterdir() if (p / "__init__.py").is_file()}
    assert sorted(tops - named) == []
