"""hwcheck.startup: the collector off while a one-spec command loads, then the loaded objects frozen."""

import gc

from click.testing import CliRunner

from hwcheck import startup
from hwcheck.cli import main
from conftest import PROBLEMS


def test_settle_freezes_what_was_made_and_turns_the_collector_back_on():
    startup.pause()
    assert not gc.isenabled()
    marker = [object()]  # a container the collector tracks
    startup.settle()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    assert not any(o is marker for o in gc.get_objects())  # frozen: no pass scans it
    gc.unfreeze()


def test_settle_without_pause_changes_nothing():
    assert gc.isenabled() and gc.get_freeze_count() == 0
    startup.settle()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a caller's choice is kept
    try:
        startup.pause()
        startup.settle()
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_solve_ends_with_the_collector_on_whether_it_succeeds_or_fails(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["solve", str(PROBLEMS / "rnn-forward-five-classes.yaml"),
                              "--no-figures", "-o", str(tmp_path / "s.md")])
    assert ok.exit_code == 0 and gc.isenabled() and gc.get_freeze_count() > 0
    gc.unfreeze()
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: no_such_kind\n", encoding="utf-8")
    failed = runner.invoke(main, ["solve", str(bad)])
    assert failed.exit_code == 2 and gc.isenabled()
