"""Specs are read with the C YAML loader (libyaml) where PyYAML has it, else with the Python one:
both read every spec to the same exact values and refuse the same files."""

import subprocess
import sys
from decimal import Decimal

import pytest
import yaml

from hwcheck import api, spec
from hwcheck.errors import SpecError

from conftest import PROBLEMS

LOADERS = {"c": spec.ExactLoader, "python": spec.PythonExactLoader}


@pytest.fixture(params=sorted(LOADERS))
def loader(request, monkeypatch):
    """Each test runs with the C loader and again with the Python one forced everywhere."""
    if request.param == "c" and not issubclass(spec.ExactLoader, getattr(yaml, "CSafeLoader", ())):
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(spec, "ExactLoader", LOADERS[request.param])
    return LOADERS[request.param]


def test_the_python_loader_is_pure_python():
    assert not issubclass(spec.PythonExactLoader, getattr(yaml, "CSafeLoader", ()))
    assert issubclass(spec.PythonExactLoader, yaml.SafeLoader)


def test_the_c_loader_is_used_where_available():
    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(spec.ExactLoader, yaml.CSafeLoader)


def test_forced_loader_is_the_one_that_reads(loader):
    calls = []

    class Spy(loader):
        def get_single_data(self):
            calls.append(type(self).__mro__[1])
            return super().get_single_data()

    spec.read_yaml("a: 1", "f.yaml", loader=Spy)
    assert calls == [loader]


VALUES = {
    "decimals stay exact": ("a: 0.1\nb: -1_000.25\nc: 1.0e-3", {"a": Decimal("0.1"), "b": Decimal("-1000.25"),
                                                               "c": Decimal("1.0e-3")}),
    "infinities and nan": ("a: .inf\nb: -.Inf\nc: .NaN", {"a": Decimal("Infinity"), "b": Decimal("-Infinity"),
                                                        "c": Decimal("NaN")}),
    "integers of YAML 1.1": ("a: 017\nb: 0x1F\nc: 1_000\nd: 1:30\ne: -0\nf: +5\ng: 0b101\nh: -12",
                             {"a": 15, "b": 31, "c": 1000, "d": 90, "e": 0, "f": 5, "g": 5, "h": -12}),
    "long integers": ("a: 123456789012345678901234567890", {"a": 123456789012345678901234567890}),
    "text that looks numeric": ("a: 1e3\nb: '0.1'\nc: 1/3", {"a": "1e3", "b": "0.1", "c": "1/3"}),
    "merge keys": ("base: &b {x: 1}\nd: {<<: *b, y: 2}", {"base": {"x": 1}, "d": {"x": 1, "y": 2}}),
}


@pytest.mark.parametrize("text, expected", VALUES.values(), ids=VALUES.keys())
def test_values_are_read_exactly(loader, text, expected):
    value = spec.read_yaml(text, "f.yaml")
    assert repr(value) == repr(expected)  # types too; and NaN is not equal to itself


def test_a_numeral_too_long_for_int_is_kept_as_text(loader):
    value = spec.read_yaml("a: " + "9" * 5000, "f.yaml")["a"]
    assert isinstance(value, spec.BigNumeral) and value == "9" * 5000


@pytest.mark.parametrize("text, key, line", [
    ("a: 1\nb: 2\na: 3\n", "a", 3),
    ("outer:\n  x: 1\n  x: 2\n", "x", 3),
    ("{a: 1, a: 1}", "a", 1),
    ("base: &b {x: 1}\nd: {<<: *b, x: 2}\n", "x", 2),
])
def test_duplicate_keys_are_refused_with_their_line(loader, text, key, line):
    with pytest.raises(SpecError) as info:
        spec.read_yaml(text, "f.yaml")
    assert str(info.value) == f"f.yaml: {key}: expected each key once, found it again on line {line}"


@pytest.mark.parametrize("text, where", [
    ("a: [1, 2\n", "line 2, column 1"),
    ("a: b: c\n", "line 1, column 5"),
    ("a: 1\n  b: 2\n", "line 2, column 4"),
    ("a: &x 1\nb: *y\n", "line 2, column 4"),
    ("a: 'x\n", "line 2, column 1"),
    ("a: 1\n...\n---\nb: 2\n", "line 3, column 1"),
])
def test_syntax_errors_name_the_file_and_the_place(loader, text, where):
    with pytest.raises(SpecError) as info:
        spec.read_yaml(text, "f.yaml")
    message = str(info.value)
    assert message.startswith("f.yaml: expected valid YAML, found ") and message.endswith(f" at {where}")


@pytest.mark.parametrize("text", ["a: !!python/object:os.system x\n", "? [1, 2]\n: 3\n", "a: \x07\n"])
def test_unsafe_or_unreadable_values_are_refused(loader, text):
    with pytest.raises(SpecError, match="^f.yaml: expected valid YAML"):
        spec.read_yaml(text, "f.yaml")


def test_both_loaders_read_every_shipped_spec_alike():
    for path in sorted(PROBLEMS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert spec.read_yaml(text, str(path), loader=spec.PythonExactLoader) == \
            spec.read_yaml(text, str(path), loader=spec.ExactLoader), path.name


@pytest.mark.parametrize("name", ["conv2d-stride2-pad1.yaml", "init-he-relu-conv.yaml"])
def test_a_solution_is_the_same_with_either_loader(monkeypatch, name):
    expected = api.solve_file(PROBLEMS / name, format="json")
    monkeypatch.setattr(spec, "ExactLoader", spec.PythonExactLoader)
    assert api.solve_file(PROBLEMS / name, format="json") == expected


def test_without_libyaml_specs_are_read_by_the_python_loader():
    """PyYAML built without libyaml has no CSafeLoader: hwcheck falls back and reads specs the same."""
    code = ("import yaml; del yaml.CSafeLoader\n"
            "from hwcheck import api, spec\n"
            "assert spec.ExactLoader is spec.PythonExactLoader\n"
            f"print(api.solve_file({str(PROBLEMS / 'conv2d-stride2-pad1.yaml')!r}, format='json'), end='')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == api.solve_file(PROBLEMS / "conv2d-stride2-pad1.yaml", format="json")
