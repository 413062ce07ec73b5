"""SVG figures are the same bytes whatever matplotlib version drew them: no metadata, a fixed hash
salt, and the ids matplotlib varies (clip paths, markers, glyphs) renumbered."""

import re

import pytest

from hwcheck import api, figures

from conftest import PROBLEMS

pytest.importorskip("matplotlib")

BOWL = PROBLEMS / "opt-bowl-sgd-momentum-adam.yaml"


def draw(folder):
    problem = api.load_problem(BOWL)
    _, items, _ = api.plan_figures(problem, api.solve(problem))
    return {d["name"]: d["path"].read_bytes() for d in figures.write(items, folder, problem.id)}


def test_two_renders_are_the_same_bytes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert draw(tmp_path / "a") == draw(tmp_path / "b")


def test_ids_are_renumbered_and_metadata_dropped(tmp_path):
    for data in draw(tmp_path).values():
        svg = data.decode("utf-8")
        assert "<metadata" not in svg and "Matplotlib" not in svg and "<dc:date" not in svg
        referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert referenced and all(re.fullmatch(r"(clip|d)\d+", ident) for ident in referenced)
        defined = re.findall(r'\bid="((?:clip|d)\d+)"', svg)
        assert len(defined) == len(set(defined)) and set(defined) == referenced
    assert any("clip-path=\"url(#clip1)\"" in d.decode() for d in draw(tmp_path).values())


def test_other_id_strings_for_the_same_drawing_normalise_to_the_same_bytes(tmp_path):
    svg = next(iter(draw(tmp_path).values())).decode("utf-8")
    # what another matplotlib version writes: other hashes, other glyph names, a dated metadata block
    other = svg.replace("<defs>", "<metadata><dc:date>2031-01-01</dc:date>Matplotlib v9</metadata>\n <defs>", 1)
    for k, ident in enumerate(sorted(set(re.findall(r'\bid="((?:clip|d)\d+)"', svg)), key=len, reverse=True)):
        other = re.sub(r'(id="|href="#|url\(#)' + re.escape(ident) + r'(?=[")])',
                       lambda m, k=k: m.group(1) + f"x{k:04x}deadbeef", other)
    assert other != svg
    assert figures.normalize_svg(other) == svg
