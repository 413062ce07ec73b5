"""hwcheck.limits: the numbers the README states, the budget's mechanics, the helpers."""

from __future__ import annotations

import os
import re
import signal

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck import limits
from hwcheck.grade import options
from hwcheck.spec import id_problem

from conftest import ROOT

README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Limits"):README.index("## Speed")]


@pytest.mark.parametrize("value", [limits.MAX_SPEC_BYTES, limits.MAX_ID_LENGTH, limits.MAX_TEXT,
                                   limits.MAX_EXPRESSION, limits.MAX_NUMBER_DIGITS, limits.MAX_MAGNITUDE,
                                   limits.MAX_ENTRIES, limits.MAX_LIST, limits.MAX_INT, limits.MAX_POINTS,
                                   limits.MAX_UPDATES, limits.MAX_LAYERS, limits.MAX_WEIGHTS,
                                   options.MAX_FILE_BYTES, options.MAX_NODES, options.MAX_DEPTH,
                                   options.MAX_LEAVES, options.MAX_NUMBER_DIGITS])
def test_the_readme_states_every_limit(value):
    assert f"{value:,}" in SECTION or str(value) in SECTION


def test_the_readme_states_the_budgets():
    assert f"{limits.SOLVE_SECONDS:g} s" in SECTION and f"{options.PART_BUDGET:g} s" in SECTION
    assert f"{options.PART_BUDGET + limits.PART_MARGIN:g} s" in SECTION and f"{limits.GRACE:g} s" in SECTION


@given(st.integers(0, 4000), st.integers(-5, 5), st.booleans())
@settings(max_examples=200)
def test_digits_of_counts_without_converting(k, delta, negative):
    n = max(10**k + delta, 0) * (-1 if negative else 1)
    assert limits.digits_of(n) == len(str(abs(n)))


@pytest.mark.parametrize("k,digits", [(4301, 4301), (4302, 4302), (10**5, 10**5)])
def test_digits_of_numbers_too_long_to_print(k, digits):
    assert limits.digits_of(10**k - 1) == digits and limits.digits_of(10**k) == digits + 1


def test_power_digits():
    assert limits.power_digits(sp.Rational(1000000001, 10**9), sp.Integer(1000)) == 10000
    assert limits.power_digits(sp.Symbol("x"), sp.Integer(1000)) == 0
    assert limits.power_digits(sp.Integer(2), sp.Rational(1, 2)) == 0


@pytest.mark.parametrize("literal,large", [("1e5", False), ("1e300", False), ("1e999999999", True),
                                           ("1.5e400", True), ("2E-400", True), ("12", False)])
def test_literal_too_large(literal, large):
    assert limits.literal_too_large(literal, 300) is large


def test_the_budget_restores_the_previous_handler():
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGPROF, mine)
    try:
        with limits.budget(5):
            pass
        assert signal.getsignal(signal.SIGPROF) is mine
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGPROF, previous)


@pytest.mark.parametrize("seconds", [None, 0, float("inf")])
def test_no_budget(seconds):
    with limits.budget(seconds):
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_an_exception_the_work_swallows_comes_again():
    count = 0
    with pytest.raises(limits.Expired):
        with limits.budget(0.05):
            while True:
                try:
                    while True:
                        pass
                except BaseException:  # noqa: BLE001 - a library that swallows everything, once
                    count += 1
                    if count > 1:
                        raise
    assert count == 2


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no SIGPROF timer here: budgets use a thread")
def test_an_alarm_as_the_block_ends_leaves_no_budget_behind(monkeypatch):
    """The deadline passes just as the block ends: the alarm arrives while the budget is being
    taken off. It does not stop that, so no later budget is alarmed by a budget left open."""
    import sys

    class AlarmDuringExit(list):
        calls = 0

        def remove(self, item):  # the signal arrives here, between two bytecodes of the exit
            AlarmDuringExit.calls += 1
            item.deadline = 0.0
            limits._on_alarm(signal.SIGPROF, sys._getframe())
            super().remove(item)

    monkeypatch.setattr(limits, "_frames", AlarmDuringExit())
    with limits.budget(5):
        pass
    assert AlarmDuringExit.calls == 1 and list(limits._frames) == []
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    with limits.budget(5):  # a later budget is not alarmed by a stale one
        assert sum(range(100_000)) == 4999950000
    with pytest.raises(limits.Expired):  # and an alarm in the block itself still ends it
        with limits.budget(5):
            limits._frames[-1].deadline = 0.0
            limits._on_alarm(signal.SIGPROF, sys._getframe())


@pytest.mark.skipif(not hasattr(signal, "setitimer") or not hasattr(os, "fork"), reason="no fork or no SIGPROF timer")
def test_a_forked_child_starts_with_no_budget():
    read_end, write_end = os.pipe()
    with limits.budget(5):
        child = os.fork()
        if child == 0:
            os.write(write_end, str(len(limits._frames)).encode())
            os._exit(0)
        os.waitpid(child, 0)
        assert len(limits._frames) == 1
    assert os.read(read_end, 10) == b"0"
    os.close(read_end)
    os.close(write_end)


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_id_problem_refuses_whatever_a_file_name_cannot_hold(pid):
    problem = id_problem(pid)
    bad = (not pid or len(pid) > limits.MAX_ID_LENGTH or any(c in pid for c in '/\\:*?"<>|')
           or not pid.isprintable() or pid.startswith(".") or pid != pid.strip() or pid.endswith(".")
           or pid.split(".")[0].casefold() in {"key", "con", "prn", "aux", "nul"}
           or re.fullmatch(r"(com|lpt)[0-9]", pid.split(".")[0].casefold()) is not None
           or len(pid.encode("utf-8", "surrogatepass")) > 2 * limits.MAX_ID_LENGTH)
    assert bool(problem) is bad, (pid, problem)
    assert "\n" not in problem and len(problem) < 200
