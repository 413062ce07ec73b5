from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


@pytest.fixture
def problems_dir() -> Path:
    return PROBLEMS
