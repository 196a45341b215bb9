"""Read a PDF's text in a child process of its own, under a memory and CPU cap.

`letters.documents` runs this file as a script (`python -I pdf_text_reader.py ...`),
feeds the PDF on stdin and kills it when its time is up: a hostile PDF can then cost a
bounded time and memory, however it trips up the parser. It imports nothing from the
project so that it starts fast and needs no settings.

Arguments: max pages, max characters, memory limit in bytes, CPU limit in seconds.
Output, one JSON object a line, flushed as it goes so that a stopped run still yields
the pages read so far:
  {"error": "unreadable" | "password"}                      and nothing more, or
  {"pages": <page count>}, then {"text": "..."} or {"failed": true} per page read.
"""

import json
import logging
import resource
import sys
from io import BytesIO

from pypdf import PdfReader


def _emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def main() -> None:
    max_pages, max_chars, memory_bytes, cpu_seconds = (int(arg) for arg in sys.argv[1:5])
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    # Damaged files make pypdf warn for every object; nobody reads a child's log.
    logging.disable(logging.CRITICAL)

    data = sys.stdin.buffer.read()
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            _emit({"error": "password"})
            return
        page_count = len(reader.pages)
    except Exception:
        _emit({"error": "unreadable"})
        return

    _emit({"pages": page_count})
    chars = 0
    for number in range(min(page_count, max_pages)):
        try:
            text = reader.pages[number].extract_text()
        except Exception:  # one broken page should not lose the others
            _emit({"failed": True})
            continue
        _emit({"text": text})
        chars += len(text)
        if chars >= max_chars:
            break


if __name__ == "__main__":
    main()
