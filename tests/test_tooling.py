"""The package's lint, format and type checks, run by the suite (so `pytest`, and with it CI's `.ci/run`, covers
them): ``ruff check``, ``ruff format --check`` and ``mypy`` on ``sim/``, each with the settings in pyproject.toml
and the versions the ``test`` extra pins. The package ships ``py.typed``, so its annotations are a promise to its
users: mypy holds them to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def _failure(done: subprocess.CompletedProcess[str]) -> str:
    return f"{' '.join(map(str, done.args[2:]))} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"


def test_ruff_check_is_clean():
    done = _run("ruff", "check", "sim")
    assert done.returncode == 0, _failure(done)


def test_ruff_format_check_is_clean():
    """Every file of ``sim/`` as ``ruff format`` writes it (run ``ruff format sim`` to apply)."""
    done = _run("ruff", "format", "--check", "sim")
    assert done.returncode == 0, _failure(done)


@pytest.mark.slow  # about a minute from a cold cache on 2 cores (a few seconds with .mypy_cache/)
def test_mypy_is_clean():
    done = _run("mypy")  # files, plugins and overrides: [tool.mypy] in pyproject.toml
    assert done.returncode == 0, _failure(done)


#: The longest a function of ``sim/`` may be [lines, decorators excluded, docstring included]: one job each.
MAX_FUNCTION_LINES = 80


def test_no_function_in_the_package_is_over_80_lines():
    import ast

    long = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1 if node.end_lineno else 0
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these into functions of one job each:\n" + "\n".join(long)
