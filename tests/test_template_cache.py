"""Compiled templates are kept across runs in a per-user cache folder: an edited template is
compiled afresh, and a folder that cannot be made, read or written never stops a solution."""

import os
import subprocess
import sys

import jinja2

from hwcheck import api, template_cache

from conftest import PROBLEMS

SPEC = PROBLEMS / "init-he-relu-conv.yaml"


def _solve_with_cache(folder, fmt="md") -> str:
    env = {**os.environ, "HWCHECK_CACHE_DIR": str(folder)}
    return subprocess.run([sys.executable, "-m", "hwcheck", "solve", str(SPEC), "--format", fmt],
                          capture_output=True, text=True, check=True, env=env).stdout


def test_templates_are_compiled_once_and_reused(tmp_path):
    first = _solve_with_cache(tmp_path)
    [folder] = tmp_path.iterdir()
    entries = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert entries and all(name.endswith(".cache") for name in entries)
    assert _solve_with_cache(tmp_path) == first == api.solve_file(SPEC)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == entries  # read, not written again


def test_a_folder_that_cannot_be_made_only_costs_the_compile(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert _solve_with_cache(blocker / "cache") == api.solve_file(SPEC)


def _environment(templates, cache) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), bytecode_cache=cache)


def test_an_edited_template_is_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HWCHECK_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("first {{ x }}")
    assert _environment(templates, template_cache.bytecode_cache()).get_template("t.j2").render(x=1) == "first 1"
    (templates / "t.j2").write_text("second {{ x }}")
    assert _environment(templates, template_cache.bytecode_cache()).get_template("t.j2").render(x=1) == "second 1"


def test_damaged_or_unwritable_entries_are_compiled_again(tmp_path, monkeypatch):
    monkeypatch.setenv("HWCHECK_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.j2").write_text("value {{ x }}")
    _environment(templates, template_cache.bytecode_cache()).get_template("t.j2")
    [entry] = template_cache.cache_folder().iterdir()
    entry.write_bytes(entry.read_bytes()[:20])  # cut short inside the source checksum (Jinja2 itself raises)
    assert _environment(templates, template_cache.bytecode_cache()).get_template("t.j2").render(x=2) == "value 2"

    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    entry.unlink()
    monkeypatch.setattr("tempfile.NamedTemporaryFile", refuse)
    assert _environment(templates, template_cache.bytecode_cache()).get_template("t.j2").render(x=3) == "value 3"
    assert not any(template_cache.cache_folder().iterdir())


def test_the_cache_folder_is_per_user_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("HWCHECK_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = template_cache.cache_folder()
    assert folder.parent == tmp_path / "hwcheck" and jinja2.__version__ in folder.name
    if hasattr(os, "getuid"):
        assert oct(folder.stat().st_mode & 0o777) == oct(0o700)


def test_no_home_folder(monkeypatch):
    monkeypatch.delenv("HWCHECK_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr("pathlib.Path.home", no_home)
    assert template_cache.cache_folder() is None and template_cache.bytecode_cache() is None
