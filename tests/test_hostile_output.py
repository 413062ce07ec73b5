"""Issue 11, output: a key set is swapped in whole (item 9), written files get the mode open() gives
(item 10), and a target that cannot be written is one clear line with exit status 2 (item 11)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from hwcheck import api, files
from hwcheck.cli import main

from conftest import PROBLEMS

SET = ["init-xavier-tanh-dense.yaml", "gd-1d-learning-rates.yaml", "softmax-ce-three-classes.yaml"]


@pytest.fixture
def specs(tmp_path) -> Path:
    folder = tmp_path / "problems"
    folder.mkdir()
    for name in SET:
        (folder / name).write_text((PROBLEMS / name).read_text())
    return folder


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def run(args):
    result = CliRunner().invoke(main, args)
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    return result


# -- item 9: the old set or the new one, never a mix --------------------------------------------

def test_key_writes_the_set_and_keeps_files_it_did_not_write(specs, tmp_path):
    out = tmp_path / "solutions"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "drafts").mkdir()
    (out / "drafts" / "a.md").write_text("draft")
    written = api.write_keys([specs], out=out, figures=False)
    names = {p.name for p in out.iterdir()}
    assert {p.name for p in written} <= names and "KEY.md" in names
    assert (out / "notes.txt").read_text() == "mine" and (out / "drafts" / "a.md").read_text() == "draft"
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_key_twice_gives_the_same_bytes(specs, tmp_path):
    out = tmp_path / "solutions"
    api.write_keys([specs], out=out, figures=False)
    first = snapshot(out)
    api.write_keys([specs], out=out, figures=False)
    assert snapshot(out) == first


@pytest.mark.parametrize("bad", [
    "id: " + "x" * 300 + "\nkind: init_bounds\ngiven: {scheme: he_normal, n_in: 2, n_out: 1}\n",
    'id: "a\\u0000b"\nkind: init_bounds\ngiven: {scheme: he_normal, n_in: 2, n_out: 1}\n',
    "id: KEY\nkind: init_bounds\ngiven: {scheme: he_normal, n_in: 2, n_out: 1}\n",
    'id: "a\\nb"\nkind: init_bounds\ngiven: {scheme: he_normal, n_in: 2, n_out: 1}\n',
    "kind: chain_rule\ngiven: {f: 'x**1000', wrt: x, at: {x: 10000000000}}\nparts: [derivative, value]\n",
])
def test_a_bad_spec_leaves_the_output_as_it_was(specs, tmp_path, bad):
    out = tmp_path / "solutions"
    api.write_keys([specs], out=out, figures=False)
    before = snapshot(out)
    (specs / "zz-bad.yaml").write_text(bad)
    result = run(["key", str(specs), "-o", str(out), "--no-figures"])
    assert result.exit_code == 2 and result.output.count("error:") == 1, result.output
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problems", "solutions"]


@pytest.mark.parametrize("fail_at", [1, 3, 6])
def test_a_run_stopped_midway_leaves_the_output_as_it_was(specs, tmp_path, monkeypatch, fail_at):
    out = tmp_path / "solutions"
    api.write_keys([specs], out=out, figures=False)
    (specs / "init-xavier-tanh-dense.yaml").write_text(
        (specs / "init-xavier-tanh-dense.yaml").read_text().replace("title:", "title: Changed,", 1))
    before = snapshot(out)
    real = files.write_atomic
    count = []

    def dying(path, text):
        count.append(path)
        if len(count) == fail_at:
            raise KeyboardInterrupt  # a kill midway
        real(path, text)

    monkeypatch.setattr(files, "write_atomic", dying)
    with pytest.raises(KeyboardInterrupt):
        api.write_keys([specs], out=out, figures=False)
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["problems", "solutions"]


def test_the_swap_is_one_rename_when_the_system_has_it(specs, tmp_path, monkeypatch):
    out = tmp_path / "solutions"
    api.write_keys([specs], out=out, figures=False)
    inode = out.stat().st_ino
    swaps = []
    real = files._exchange
    monkeypatch.setattr(files, "_exchange", lambda a, b: swaps.append((a, b)) or real(a, b))
    api.write_keys([specs], out=out, figures=False)
    assert len(swaps) == 1
    if out.stat().st_ino == inode:  # no renameat2 here: the fallback kept the folder
        pytest.skip("no RENAME_EXCHANGE on this system")


def test_key_into_the_working_folder_writes_in_place(specs, tmp_path, monkeypatch):
    out = tmp_path / "here"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    monkeypatch.chdir(out)
    result = run(["key", str(specs), "-o", ".", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert (out / "KEY.md").exists() and (out / "mine.txt").read_text() == "x"
    assert not [p for p in out.iterdir() if "staging" in p.name]
    assert Path.cwd() == out


# -- item 10: the mode open() would give ------------------------------------------------------------

@pytest.fixture
def umask():
    def set_mask(mask):
        old.append(os.umask(mask))
    old = []
    yield set_mask
    if old:
        os.umask(old[0])


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077, 0o027])
def test_new_files_get_the_umask_mode(specs, tmp_path, umask, mask):
    umask(mask)
    out = tmp_path / "solutions"
    api.write_keys([specs], out=out, figures=False)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
    assert modes == {0o666 & ~mask}
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    single = tmp_path / "one.md"
    result = run(["solve", str(specs / SET[0]), "-o", str(single)])
    assert result.exit_code == 0 and stat.S_IMODE(single.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o640, 0o600])
def test_a_replaced_file_keeps_its_mode(specs, tmp_path, umask, mode):
    umask(0o077)
    target = tmp_path / "sol.md"
    target.write_text("old")
    target.chmod(mode)
    api.write_atomic(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == mode
    out = tmp_path / "solutions"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    (out / "KEY.md").write_text("old")
    (out / "KEY.md").chmod(mode)
    api.write_keys([specs], out=out, figures=False)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


# -- item 11: one clear line ------------------------------------------------------------------------

def _one_line(result):
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.mark.parametrize("command", ["solve", "key", "grade"])
def test_a_file_where_a_folder_should_be(specs, tmp_path, command):
    afile = tmp_path / "afile"
    afile.write_text("x")
    spec = str(specs / SET[0])
    args = {"solve": ["solve", spec, "-o", str(afile / "sub" / "s.md")],
            "key": ["key", str(specs), "-o", str(afile / "sub")],
            "grade": ["grade", spec, "--problems", str(specs), "--out", str(afile / "sub")]}[command]
    line = _one_line(run(args))
    assert "afile" in line
    assert afile.read_text() == "x"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["md", "json", "tex"])
def test_a_full_disk(specs, fmt):
    line = _one_line(run(["solve", str(specs / SET[0]), "--format", fmt, "-o", "/dev/full"]))
    assert "/dev/full" in line and "space" in line.lower()


def test_a_read_only_folder(specs, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()

    def refuse(*args, **kwargs):  # what the system says for a read-only folder (root ignores chmod)
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    monkeypatch.setattr(files.tempfile, "mkdtemp", refuse)
    for args in (["solve", str(specs / SET[0]), "-o", str(folder / "s.md")],
                 ["key", str(specs), "-o", str(folder / "out"), "--no-figures"]):
        line = _one_line(run(args))
        assert "Permission denied" in line and str(folder) in line


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root writes anywhere")
def test_a_really_read_only_folder(specs, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = _one_line(run(["key", str(specs), "-o", str(folder / "out"), "--no-figures"]))
        assert "Permission denied" in line
    finally:
        folder.chmod(0o755)
