"""Code blocks out of the docs, so a test runs exactly what a page tells people to.

`blocks(page, heading)` returns the fenced code blocks of the section under
`## heading` (up to the next `## `) in docs/PAGE, as (language, text) pairs in
order; `block(page, heading, language)` the one block of that language there.
"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def blocks(page: str, heading: str) -> list[tuple[str, str]]:
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else len(text)]
    return [(match[1], match[2]) for match in _FENCE.finditer(section)]


def block(page: str, heading: str, language: str) -> str:
    found = [text for lang, text in blocks(page, heading) if lang == language]
    assert len(found) == 1, f"docs/{page}, {heading}: {len(found)} {language} blocks"
    return found[0]
