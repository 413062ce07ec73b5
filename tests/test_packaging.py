"""An installed hwcheck (from a wheel, not this checkout) finds its templates and solves."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PROBLEMS, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    return next(out.glob("hwcheck-*.whl"))


def test_wheel_contains_every_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").rglob("*.j2"):
        packaged = "hwcheck/templates/" + template.relative_to(ROOT / "templates").as_posix()
        assert packaged in names, f"{packaged} is missing from the wheel"


def test_wheel_contains_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (ROOT / "hwcheck").rglob("*.py"):
        packaged = module.relative_to(ROOT).as_posix()
        assert packaged in names, f"{packaged} is missing from the wheel (pyproject.toml packages?)"


def test_installed_package_uses_its_own_templates(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    code = (
        "import sys, hwcheck.render as r, hwcheck.api as api\n"
        "root = r.templates_root()\n"
        f"assert str(root).startswith({str(target)!r}), root\n"
        f"sys.stdout.write(api.solve_file({str(PROBLEMS / 'conv2d-backprop-4x4.yaml')!r}))\n"
        "import hwcheck.grade.grader, hwcheck.kinds\n"
        "assert len(hwcheck.kinds.names()) >= 14, hwcheck.kinds.names()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "\\operatorname{rot}_{180}" in result.stdout
