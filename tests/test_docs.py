"""Every method-note citation in the code resolves: ``docs/methods.md §X.Y`` names a
heading of ``src/satmodel/docs/methods.md``, which ships inside the package."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "satmodel"
CITATION = re.compile(r"docs/methods\.md\s+((?:§\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?(?:,\s*|\s+and\s+)?)+)")


def _sections() -> set[str]:
    text = resources.files("satmodel").joinpath("docs", "methods.md").read_text("utf-8")
    return set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", text, re.M))


def test_method_notes_ship_and_every_citation_resolves():
    sections = _sections()
    assert {"1.1", "2", "3.5", "4.3", "6.1", "6.7"} <= sections
    missing = []
    for path in SRC.rglob("*.py"):
        for found in CITATION.finditer(path.read_text(encoding="utf-8")):
            for number in re.findall(r"§(\d+(?:\.\d+)?)", found.group(1)):
                if number not in sections:
                    missing.append(f"{path.relative_to(SRC)}: §{number}")
    assert not missing, missing


def test_no_citation_of_a_file_outside_the_repository():
    stale = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
             if "METHODS.md" in p.read_text(encoding="utf-8")]
    assert not stale
