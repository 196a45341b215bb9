"""Template filters for plain text that users typed: structure only, never HTML strings."""

from django import template

from letters.text import Block, text_blocks

register = template.Library()


@register.filter(name="text_blocks")
def text_blocks_filter(text: str | None) -> list[Block]:
    """`{% for block in letter.body|text_blocks %}`: paragraphs and bullet lists to loop over."""
    return text_blocks(text or "")
