"""Writing a script's figures into bench/README.md, between the markers that belong to it.

Only the text between a script's two markers is replaced; the notes written by hand around
them, and the other scripts' sections, stay as they are.
"""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
INTRO = """# Benchmarks

`bench/` holds scripts that measure the service against the performance targets its issues
set; anyone can run them with `uv run --group bench python bench/<script>.py`.
"""


def write_figures(figures: str, *, section: str, begin: str, end: str) -> None:
    """Put ``figures`` between ``begin`` and ``end``; add ``section`` with them where missing."""
    block = f"{begin}\n{figures.strip()}\n{end}"
    text = README.read_text(encoding="utf-8") if README.exists() else INTRO
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = f"{text.rstrip()}\n\n{section}\n\n{block}\n"
    README.write_text(text, encoding="utf-8")
