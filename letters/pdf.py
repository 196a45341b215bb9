"""PDFs of letters, reminders and summary reports, drawn by WeasyPrint from the project's own
templates, CSS and fonts.

Rendering reaches neither the network nor the wider filesystem: ProjectURLFetcher serves only
the project's static files, media files in folders the caller names, and data: images.
"""

import base64
import binascii
import logging
import mimetypes
import os
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse, path2url

from letters.models import Letter, MinisterialLetter, Reminder
from letters.selectors.ministerial import body_parts, letter_figures, next_reference

if TYPE_CHECKING:
    from letters.selectors.report import SummaryReport

logger = logging.getLogger(__name__)


class ResourceRefused(ValueError):
    """A document asked for something outside what the project lets WeasyPrint read."""


class ProjectURLFetcher(weasyprint.URLFetcher):
    """Serves the project's static files, media in the given folders, and data: images.

    Static files are found as Django finds them (finders, then STATIC_ROOT), named either by
    their site path (`/static/pdf/letter.css`, also as `file:///static/...` once WeasyPrint has
    joined it to the base URL) or by the file URL they resolve to. Media files are served only
    under `media_prefixes`, folders inside MEDIA_ROOT (e.g. a round's stored files), named by
    MEDIA_URL path or file URL. Everything else is refused, and a refused resource is simply
    missing from the PDF: WeasyPrint logs it and carries on.
    """

    def __init__(self, *, media_prefixes: tuple[str, ...] = ()):
        # fail_on_errors=False turns a refusal into a missing resource, not a failed PDF; the
        # other options lock the parent's fetch() down too, though ours never calls it.
        super().__init__(
            allowed_protocols=frozenset({"file", "data"}),
            allow_redirects=False,
            fail_on_errors=False,
        )
        self.static_roots = _static_roots()
        self.media_roots = tuple(_media_folder(prefix) for prefix in media_prefixes)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            return self._fetch(url)
        except ResourceRefused as refusal:
            logger.warning("PDF resource refused: %.200s (%s)", url, refusal)
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        if url.startswith("/"):
            return self._file(url)
        scheme = url.partition(":")[0].lower()
        if scheme == "data":
            return _data_image(url)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise ResourceRefused("file URL on another host")
            return self._file(unquote(parts.path))
        raise ResourceRefused(f"the {scheme or 'missing'} protocol is not served")

    def _file(self, url_path: str) -> URLFetcherResponse:
        if "\x00" in url_path or ".." in url_path.split("/"):
            raise ResourceRefused("the path climbs out of its folder")
        try:
            path = self.local_path(url_path)
        except SuspiciousFileOperation as error:
            raise ResourceRefused(str(error)) from error
        if path is None or not path.is_file():
            raise ResourceRefused("not a file the project serves")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # Name the checked file: WeasyPrint may read an image again from the response's path.
        return URLFetcherResponse(
            path2url(path), path.read_bytes(), headers={"Content-Type": content_type}
        )

    def local_path(self, url_path: str) -> Path | None:
        """The real file `url_path` names, if it lies in a folder this fetcher serves."""
        if url_path.startswith(settings.STATIC_URL):
            name = url_path.removeprefix(settings.STATIC_URL)
            found = finders.find(name) or Path(settings.STATIC_ROOT, name)
            return _inside(found, self.static_roots)
        if url_path.startswith(settings.MEDIA_URL):
            name = url_path.removeprefix(settings.MEDIA_URL)
            return _inside(Path(settings.MEDIA_ROOT, name), self.media_roots)
        return _inside(Path(url_path), self.static_roots + self.media_roots)


def _static_roots() -> tuple[Path, ...]:
    locations = [settings.STATIC_ROOT] if settings.STATIC_ROOT else []
    for finder in finders.get_finders():
        locations += [storage.location for storage in getattr(finder, "storages", {}).values()]
    return tuple(Path(os.path.realpath(location)) for location in locations)


def _media_folder(prefix: str) -> Path:
    parts = PurePosixPath(prefix).parts
    if not parts or prefix.startswith("/") or ".." in parts:
        raise ValueError(f"A media prefix must be a folder inside MEDIA_ROOT, not {prefix!r}.")
    return Path(os.path.realpath(Path(settings.MEDIA_ROOT, prefix)))


def _inside(path: str | Path, roots: tuple[Path, ...]) -> Path | None:
    # Resolving symlinks first means a link pointing out of a served folder is refused.
    real = Path(os.path.realpath(path))
    return real if any(real.is_relative_to(root) for root in roots) else None


def _data_image(url: str) -> URLFetcherResponse:
    header, comma, payload = url[len("data:") :].partition(",")
    params = [param.strip().lower() for param in header.split(";")]
    media_type = params[0]
    if not comma or not media_type.startswith("image/"):
        raise ResourceRefused("only images may come as data: URLs")
    data = unquote_to_bytes(payload)
    if "base64" in params[1:]:
        try:
            data = base64.b64decode(data)
        except binascii.Error as error:
            raise ResourceRefused("the data: URL's base64 is broken") from error
    return URLFetcherResponse(url, data, headers={"Content-Type": media_type})


_parsed_stylesheets = threading.local()


def project_stylesheet(name: str) -> tuple[weasyprint.CSS, FontConfiguration]:
    """A static stylesheet, parsed with its fonts loaded, ready for any number of documents.

    Parsing the CSS and loading its @font-face fonts is a third of a one-page letter's time, so
    each thread does it once per version of the file (WeasyPrint's font configuration is not
    safe to share between threads).
    """
    fetcher = ProjectURLFetcher()
    path = fetcher.local_path(settings.STATIC_URL + name)
    if path is None or not path.is_file():
        raise FileNotFoundError(f"No static stylesheet {name!r}.")
    key = (name, path.stat().st_mtime_ns)
    cache = _parsed_stylesheets.__dict__
    if key not in cache:
        font_config = FontConfiguration()
        css = weasyprint.CSS(url=path2url(path), url_fetcher=fetcher, font_config=font_config)
        cache[key] = (css, font_config)
    return cache[key]


def render_document(
    template_name: str,
    context: dict,
    *,
    stylesheet: str = "pdf/letter.css",
) -> weasyprint.Document:
    """Lay a Django template out as pages in one of the project's print stylesheets, fetching
    only what ProjectURLFetcher allows."""
    css, font_config = project_stylesheet(stylesheet)
    html = render_to_string(template_name, context)
    document = weasyprint.HTML(
        string=html,
        base_url=path2url(settings.BASE_DIR),
        url_fetcher=ProjectURLFetcher(),
    )
    return document.render(stylesheets=[css], font_config=font_config)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF as a letter on letterhead."""
    return render_document(template_name, context).write_pdf()


def letter_pdf(letter: Letter) -> bytes:
    """The letter on the office's letterhead, as it is sent to the force."""
    return render_pdf("letters/pdf/letter.html", letter_context(letter))


def reminder_pdf(reminder: Reminder) -> bytes:
    """A chase-up letter quoting the original letter's reference, dates and any extensions."""
    letter = reminder.letter
    earlier_reminders = letter.reminders.filter(created_at__lt=reminder.created_at).order_by(
        "created_at"
    )
    context = letter_context(letter) | {
        "reminder": reminder,
        "dated": timezone.localdate(reminder.created_at),
        "extensions": letter.extensions.order_by("new_due_on"),
        "earlier_reminder_dates": [timezone.localdate(r.created_at) for r in earlier_reminders],
    }
    return render_pdf("letters/pdf/reminder.html", context)


@dataclass(frozen=True)
class RenderedPDF:
    content: bytes
    page_count: int


def summary_report_pdf(report: "SummaryReport") -> RenderedPDF:
    """A round's summary report: statistics, charts, themes, figures and who has not replied."""
    document = render_document(
        "letters/pdf/report.html",
        {"report": report, "office": office_details()},
        stylesheet="pdf/report.css",
    )
    return RenderedPDF(content=document.write_pdf(), page_count=len(document.pages))


def letter_context(letter: Letter) -> dict:
    """What letters/pdf/letter.html needs: the letter, its address block, the office's details."""
    address = letter.address_lines
    addressee = (
        f"{letter.addressee_title} {letter.addressee_name}"
        if letter.addressee_name
        else f"The {letter.addressee_title}"
    )
    # The stored address may already start with the force's name; print it once.
    force_line = [] if address[:1] == [letter.force.name] else [letter.force.name]
    return {
        "letter": letter,
        "address_block": [addressee, *force_line, *address],
        "dated": letter.issued_on,
        "salutation": letter.salutation.strip().rstrip(",") + ",",
        "office": office_details(),
    }


def office_details() -> dict:
    """The letterhead and the sign-off: who writes, from where, and how to reach them."""
    return {
        "name": settings.OFFICE_NAME,
        "address": settings.OFFICE_ADDRESS,
        "signatory": settings.OFFICE_SIGNATORY,
        "phone": settings.OFFICE_PHONE,
        "email": settings.DEFAULT_FROM_EMAIL,
    }


def ministerial_letter_pdf(letter: MinisterialLetter) -> bytes:
    """A letter closing a round, on letterhead. Issued letters are served from their stored
    PDF, never drawn again; this draws a draft (marked as one) or the letter being issued."""
    return render_pdf("letters/pdf/ministerial.html", ministerial_context(letter))


def ministerial_context(letter: MinisterialLetter) -> dict:
    return {
        "letter": letter,
        "is_draft": not letter.is_issued,
        "reference": letter.reference or next_reference(letter.round),
        "address_block": letter.address_block,
        "dated": letter.issued_on or timezone.localdate(),
        "salutation": letter.salutation.strip().rstrip(",") + ",",
        "parts": body_parts(letter.body),
        "figures": letter_figures(years=letter.figure_years),
        "office": office_details(),
    }
