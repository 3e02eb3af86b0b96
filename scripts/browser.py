"""Open built book pages in headless Chromium and report what a reader would see.

Used by ``scripts/check_book.py`` (make course) and ``tests/test_book.py``. Needs
Debian's ``chromium`` (``.ci/run`` installs it); :func:`find_chromium` returns None
without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files"]


@dataclass
class PageReport:
    """What headless Chromium saw on one page."""

    path: Path
    math_elements: int
    raw_math: list[str]
    figures_loaded: int
    figures_total: int

    @property
    def problems(self) -> list[str]:
        out = []
        if self.raw_math:
            out.append(f"untypeset math left on the page: {self.raw_math[:3]}")
        if self.figures_loaded != self.figures_total:
            out.append(f"only {self.figures_loaded} of {self.figures_total} figures loaded")
        return out


def find_chromium() -> str | None:
    """The path of a Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def render(page: Path, chromium: str, budget_ms: int = 20000) -> str:
    """The DOM of ``page`` after its scripts ran (MathJax typesetting included)."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
             "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise RuntimeError(f"chromium could not render {page}: {proc.stderr[-500:]}")
    return proc.stdout


def inspect(page: Path, chromium: str) -> PageReport:
    """Render ``page`` and count typeset math, leftover raw TeX and loaded figures."""
    dom = render(page, chromium)
    body = dom.split("<article", 1)[-1]
    text = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    text = re.sub(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", "", text, flags=re.S)
    # Raw TeX that MathJax should have replaced: $$...$$, \[...\], \(...\) outside code blocks.
    text = re.sub(r"<pre\b.*?</pre>", "", text, flags=re.S)
    text = re.sub(r"<code\b.*?</code>", "", text, flags=re.S)
    raw = re.findall(r"\$\$.{0,40}|\\\[.{0,40}|\\\(.{0,40}", re.sub(r"<[^>]+>", " ", text))
    figures = re.search(r'data-figures-loaded="(\d+)/(\d+)"', dom)
    loaded, total = (int(figures.group(1)), int(figures.group(2))) if figures else (0, -1)
    return PageReport(page, dom.count("<mjx-container"), raw, loaded, total)
