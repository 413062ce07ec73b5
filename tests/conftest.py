from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"


@pytest.fixture
def problems_dir() -> Path:
    return PROBLEMS


def grade_one(tmp_path: Path, problem_file: str, answers: dict) -> dict:
    """Grade one submission against one shipped problem; the parts of its SPEC section 5 JSON."""
    import json
    import shutil

    from hwcheck import api

    folder = tmp_path / "problems"
    folder.mkdir(parents=True)
    shutil.copy(PROBLEMS / problem_file, folder)
    sub = tmp_path / "sub.json"
    sub.write_text(json.dumps({"student": "s", "answers": {problem_file[:-5]: answers}}))
    result = json.loads(api.grade_file(sub, problems=folder, format="json"))
    return result["problems"][problem_file[:-5]]["parts"]


@pytest.fixture(autouse=True)
def _no_budget_left_armed():
    """After each test, no CPU-time alarm of hwcheck.limits may stay armed (a test that ends inside
    a budget, e.g. through an exception hypothesis catches, must not alarm the next one)."""
    yield
    import signal

    from hwcheck import limits

    if hasattr(signal, "setitimer") and not limits._frames:
        signal.setitimer(signal.ITIMER_PROF, 0)
