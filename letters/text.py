"""Plain text as structure: paragraphs and bullet lists that templates render with autoescaping.

Letter bodies are typed as plain text. Turning them into blocks (rather than into an HTML
string) keeps every character the user typed as text, in PDFs and pages alike.
"""

from dataclasses import dataclass
from typing import Literal

BULLET = "- "


@dataclass(frozen=True)
class Block:
    """A paragraph (its lines, kept as the user broke them) or a bullet list (its items)."""

    kind: Literal["paragraph", "bullets"]
    lines: tuple[str, ...]

    @property
    def is_bullets(self) -> bool:
        return self.kind == "bullets"


def text_blocks(text: str) -> list[Block]:
    """Split plain text into paragraphs (separated by blank lines) and bullet lists.

    A line starting with "- " is a bullet item; consecutive items, even with blank lines
    between them, form one list. An indented line right after an item continues that item.
    """
    blocks: list[Block] = []
    kind: str | None = None  # the block being built, if any
    lines: list[str] = []
    blank_before = False

    def close() -> None:
        nonlocal kind, lines
        if kind:
            blocks.append(Block(kind=kind, lines=tuple(lines)))
        kind, lines = None, []

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if kind == "paragraph":
                close()
            blank_before = True
            continue
        if line.startswith(BULLET) or line == BULLET.strip():
            item = line[len(BULLET) :].strip()
            if kind != "bullets":
                close()
                kind = "bullets"
            if item:
                lines.append(item)
        elif kind == "bullets" and lines and not blank_before and raw[:1].isspace():
            lines[-1] = f"{lines[-1]} {line}"
        else:
            if kind != "paragraph":
                close()
                kind = "paragraph"
            lines.append(line)
        blank_before = False
    close()
    return [block for block in blocks if block.lines]
