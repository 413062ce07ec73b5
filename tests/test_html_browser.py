"""Every shipped problem's --format html page, in English and in Persian, rendered by a real browser.

Headless Chromium (Debian's ``chromium``) prints each page to PDF with no network and a fresh profile;
``pdftotext`` (poppler-utils) reads the laid-out text back. A page passes when it is not blank and
the text holds the digits of the first answer (so the MathML was laid out, not dropped). Skipped,
saying why, when chromium or pdftotext is missing (CI installs both: see .ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hwcheck import api
from hwcheck.spec import spec_files

from conftest import PROBLEMS


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


CHROMIUM = _chromium()
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext is not installed (apt-get install poppler-utils)"),
]
SPECS = spec_files([PROBLEMS])
LANGS = ("en", "fa")


def chromium(args: list[str], profile: Path, timeout: int = 90) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def render_pdf_text(page: Path, work: Path) -> str:
    pdf = page.with_suffix(".pdf")
    chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], work / (page.stem + "-profile"))
    if not pdf.exists():
        return ""
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    return out.stdout


def first_answer_digits(path: Path) -> list[str]:
    key = json.loads(api.solve_file(path, format="json"))
    first = next(iter(key["answers"].values()))
    return re.findall(r"\d+", first["latex"])[:8]


@pytest.fixture(scope="module")
def rendered():
    """{(spec stem, lang): pdf text}, every page rendered once, four browsers at a time."""
    work = Path(tempfile.mkdtemp(prefix="hwcheck-browser-"))
    jobs = []
    for path in SPECS:
        for lang in LANGS:
            page = work / f"{path.stem}.{lang}.html"
            page.write_text(api.solve_file(path, format="html", lang=lang), encoding="utf-8")
            jobs.append(((path.stem, lang), page))
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = dict(zip([k for k, _ in jobs], pool.map(lambda job: render_pdf_text(job[1], work), jobs)))
    yield texts
    shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_page_renders_with_its_math(rendered, path, lang):
    text = rendered[(path.stem, lang)]
    assert len(text.split()) > 30, f"{path.stem} ({lang}) printed blank or nearly blank"
    if lang == "fa":
        assert "راه" in text or "گام" in text, "the Persian headings are missing from the rendering"
    else:
        assert "Solution" in text
    flat = re.sub(r"\s+", "", text)
    missing = [d for d in first_answer_digits(path) if d not in flat]
    assert not missing, f"digits {missing} of the first answer are not in the rendered page"


def test_a_fraction_is_laid_out_as_a_fraction(tmp_path):
    """MathML layout, not text: the numerator and the denominator of 1/8 print on different lines."""
    page = tmp_path / "frac.html"
    from hwcheck import html

    page.write_text(html.page("# F\n\n$$a = \\frac{12345}{67890}$$\n", "en"), encoding="utf-8")
    pdf = tmp_path / "frac.pdf"
    chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], tmp_path / "profile")
    out = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    lines = [line for line in out.splitlines() if "12345" in line or "67890" in line]
    assert len(lines) == 2, out  # stacked: one line each, not "12345/67890" on one line
