"""The code passes the project's linter (ruff.toml: unused names, import order)."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # nothing here depends on the database

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
