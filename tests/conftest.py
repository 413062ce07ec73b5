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
    """After each test, no budget of hwcheck.limits may be left open and no CPU-time alarm armed: a
    budget that outlived its block would alarm every later one (a test that ends inside a budget,
    e.g. through an exception hypothesis catches, must not alarm the next one)."""
    yield
    import signal

    from hwcheck import limits

    stale = list(limits._frames)
    limits._frames.clear()
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_PROF, 0)
    assert not stale, f"{len(stale)} time budget(s) outlived their block"


@pytest.fixture(autouse=True)
def _collector_as_it_was():
    """Each test starts with the cyclic collector on and nothing frozen. ``hwcheck solve`` run
    in-process (CliRunner) freezes this process's objects as the real command freezes its own
    (``hwcheck.startup``); that is the command's business, not the next test's."""
    yield
    import gc

    from hwcheck import startup

    startup.settle()
    gc.unfreeze()
    gc.enable()
