"""One search over what forces wrote and what the office sent: replies, coded excerpts, letters.

On PostgreSQL: full-text search with English stemming. The query is read by
`websearch_to_tsquery`, so "quoted phrases", `-word` and `or` work as on a web search engine,
and no input is a syntax error. Hits are ranked by `ts_rank` over weighted fields (a reply's
summary and a coded excerpt weigh most, a letter's body least, since every letter of a round
says the same) and their snippets come from `ts_headline`. The weighted documents are stored
and GIN-indexed by PostgreSQL itself (migration 0004): about 3 s a search becomes about 0.1 s
at 20 rounds of 43 replies.

Elsewhere (SQLite): a plain, slower fallback. Every word or "quoted phrase" must appear
somewhere in the hit at the start of a word ("order" finds "orders", "a" does not find
"Metropolitan"), case does not matter, `-word` leaves out hits that contain it, `or` is not
understood, and hits are ranked by how often the words occur, with the same field weights.

Whatever the database, a page costs a fixed number of queries: the count and the page of
(kind, id, rank) from a UNION of the three sources, then one query per kind for its hits.
"""

import operator
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import reduce
from itertools import takewhile

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
)
from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.db.models import (
    CharField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Length, Lower, Replace

from forces.models import Force
from letters.models import Coding, Excerpt, Judgement, Letter, Reply, Round, Theme

SEARCH_CONFIG = "english"
PER_PAGE = 20
# Longer input is cut here: no one types more, and it keeps every query cheap.
MAX_QUERY_CHARS = 1000
# The fallback builds one condition per term; SQLite refuses very deep expressions.
MAX_TERMS = 32
SNIPPET_CHARS = 300
# ts_headline marks matches with these private-use characters, which the query never contains.
_MARK_START, _MARK_STOP = "\ue000", "\ue001"
# ts_rank's default weights; the fallback weighs fields with them too.
_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}


class HitKind(models.TextChoices):
    REPLY = "reply", "Replies"
    EXCERPT = "excerpt", "Coded excerpts"
    LETTER = "letter", "Letters"


@dataclass(frozen=True)
class SearchFilters:
    round: Round | None = None
    force: Force | None = None
    region: str = ""
    # Excerpts coded for the theme; replies coded as addressing it (fully or partly);
    # letters of rounds that asked about it.
    theme: Theme | None = None
    kind: str = ""


@dataclass(frozen=True)
class ParsedQuery:
    """The search box's text made safe, and the terms the fallback looks for."""

    text: str
    required: tuple[str, ...]
    excluded: tuple[str, ...]
    shortened: bool

    @property
    def is_empty(self) -> bool:
        # Only punctuation, emoji, blanks or operators: nothing a search could match.
        return not (self.required or self.excluded)


@dataclass(frozen=True)
class Segment:
    """A piece of a snippet; the template marks the pieces that match (autoescaped)."""

    text: str
    is_match: bool


@dataclass(frozen=True)
class SearchHit:
    kind: str
    found_in: str
    letter: Letter
    reply: Reply | None
    on: date
    rank: float
    snippet: tuple[Segment, ...]

    @property
    def force(self) -> Force:
        return self.letter.force

    @property
    def round(self) -> Round:
        return self.letter.round


@dataclass(frozen=True)
class SearchResults:
    query: ParsedQuery
    page: Page
    full_text: bool

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def hits(self) -> list[SearchHit]:
        return self.page.object_list


def full_text_search_available() -> bool:
    return connection.vendor == "postgresql"


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def parse_query(raw: str) -> ParsedQuery:
    """Clean what was typed (no control characters or NULs, at most MAX_QUERY_CHARS) and split
    it into required and excluded terms: words, or "quoted phrases", in lower case."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cs", "Co") else char for char in raw
    )
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    shortened = len(cleaned) > MAX_QUERY_CHARS
    cleaned = cleaned[:MAX_QUERY_CHARS]
    required: list[str] = []
    excluded: list[str] = []
    for match in _TOKEN.finditer(cleaned):
        phrase_negated, phrase, word_negated, word = match.groups()
        if phrase is not None:
            term, negated = " ".join(re.findall(r"\w+", phrase)), phrase_negated
        else:
            term, negated = _EDGE_PUNCTUATION.sub("", word), word_negated
            if term.lower() == "or":
                continue  # an operator to PostgreSQL; the fallback requires every term
        term = term.lower()
        terms = excluded if negated else required
        if term and term not in terms:
            terms.append(term)
    if len(required) + len(excluded) > MAX_TERMS:
        shortened = True
        required = required[:MAX_TERMS]
        excluded = excluded[: MAX_TERMS - len(required)]
    return ParsedQuery(cleaned, tuple(required), tuple(excluded), shortened)


@dataclass(frozen=True)
class _Source:
    model: type[models.Model]
    fields: tuple[tuple[str, str], ...]  # (field, weight A-D)
    date: str
    letter_path: str  # from the model to its Letter, "" for the Letter itself

    def lookup(self, path: str) -> str:
        return f"{self.letter_path}__{path}" if self.letter_path else path


_SOURCES = {
    HitKind.REPLY: _Source(Reply, (("summary", "A"), ("text", "B")), "received_on", "letter"),
    HitKind.EXCERPT: _Source(
        Excerpt, (("text", "A"),), "coding__reply__received_on", "coding__reply__letter"
    ),
    HitKind.LETTER: _Source(Letter, (("reference", "A"), ("body", "D")), "issued_on", ""),
}


class _StoredDocument(Expression):
    """The weighted document PostgreSQL keeps for each row of the searched table (migration
    0004, the same fields and weights as `_SOURCES`)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.{connection.ops.quote_name('search_document')}", []


def _search_query(parsed: ParsedQuery) -> SearchQuery:
    return SearchQuery(parsed.text, search_type="websearch", config=SEARCH_CONFIG)


def _filtered(kind: str, filters: SearchFilters) -> QuerySet:
    source = _SOURCES[kind]
    queryset = source.model.objects.all()
    if filters.round:
        queryset = queryset.filter(**{source.lookup("round"): filters.round})
    if filters.force:
        queryset = queryset.filter(**{source.lookup("force"): filters.force})
    if filters.region:
        queryset = queryset.filter(**{source.lookup("force__region"): filters.region})
    if filters.theme:
        if kind == HitKind.EXCERPT:
            queryset = queryset.filter(coding__theme=filters.theme)
        elif kind == HitKind.REPLY:
            addressing = Coding.objects.filter(
                reply=OuterRef("pk"),
                theme=filters.theme,
                judgement__in=(Judgement.ADDRESSED, Judgement.PARTLY),
            )
            queryset = queryset.filter(Exists(addressing))
        else:
            queryset = queryset.filter(round__themes=filters.theme)
    return queryset


def _occurrences(field: str, term: str) -> ExpressionWrapper:
    # How often `term` occurs in the field: the length it loses when the term is cut out.
    lowered = Lower(field)
    removed = Length(lowered) - Length(Replace(lowered, Value(term), Value("")))
    return ExpressionWrapper(removed / Value(len(term)), output_field=FloatField())


def _term_pattern(term: str) -> str:
    """A regular expression for a term at the start of a word; a phrase's words may be
    separated by any spaces or punctuation."""
    return r"(?<!\w)" + r"[\W_]+".join(re.escape(word) for word in term.split(" "))


def _field_contains(name: str, term: str) -> Q:
    # SQLite runs REGEXP with Python's `re`: word starts and case folding for any script.
    matches = Q(**{f"{name}__iregex": _term_pattern(term)})
    if not term.isascii():
        return matches
    # LIKE, run in C, rules out most rows before REGEXP calls Python (it folds ASCII only).
    contains = [Q(**{f"{name}__icontains": word}) for word in term.split(" ")]
    return Q(*contains, matches)


def _any_field_contains(fields, term: str) -> Q:
    return reduce(operator.or_, (_field_contains(name, term) for name, _ in fields))


def _matching_rows(kind: str, parsed: ParsedQuery, filters: SearchFilters) -> QuerySet:
    """(hit_kind, hit_id, rank, hit_on) for every hit of one kind; same columns for every kind."""
    source = _SOURCES[kind]
    queryset = _filtered(kind, filters)
    if full_text_search_available():
        query = _search_query(parsed)
        document = _StoredDocument()
        queryset = queryset.annotate(document=document).filter(document=query)
        rank = SearchRank(document, query)
    else:
        for term in parsed.required:
            queryset = queryset.filter(_any_field_contains(source.fields, term))
        for term in parsed.excluded:
            queryset = queryset.exclude(_any_field_contains(source.fields, term))
        weighted = [
            _occurrences(name, term) * Value(_WEIGHTS[weight])
            for term in parsed.required
            for name, weight in source.fields
        ]
        rank = reduce(operator.add, weighted) if weighted else Value(0.0)
    return (
        queryset.order_by()
        .annotate(
            hit_kind=Value(kind, output_field=CharField()),
            hit_id=F("pk"),
            rank=ExpressionWrapper(rank, output_field=FloatField()),
            hit_on=ExpressionWrapper(F(source.date), output_field=DateField()),
        )
        .values("hit_kind", "hit_id", "rank", "hit_on")
    )


def search(
    *, query: str, filters: SearchFilters | None = None, page: int | str | None = 1
) -> SearchResults:
    """The page `page` of hits for `query`, best first. Never raises on what was typed."""
    filters = filters or SearchFilters()
    parsed = parse_query(query)
    kinds = [filters.kind] if filters.kind else list(HitKind)
    if parsed.is_empty:
        rows = Reply.objects.none()
    else:
        parts = [_matching_rows(kind, parsed, filters) for kind in kinds]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        rows = rows.order_by("-rank", "-hit_on", "hit_kind", "-hit_id")
    result_page = Paginator(rows, PER_PAGE).get_page(page)
    result_page.object_list = _hits(list(result_page.object_list), parsed)
    return SearchResults(query=parsed, page=result_page, full_text=full_text_search_available())


def _headline(field: str, parsed: ParsedQuery, *, whole: bool = False) -> SearchHeadline:
    return SearchHeadline(
        field,
        _search_query(parsed),
        config=SEARCH_CONFIG,
        start_sel=_MARK_START,
        stop_sel=_MARK_STOP,
        highlight_all=whole or None,
        max_words=None if whole else 45,
        min_words=None if whole else 20,
        max_fragments=None if whole else 2,
        fragment_delimiter=None if whole else " … ",
    )


def _hits(rows: list[dict], parsed: ParsedQuery) -> list[SearchHit]:
    """Turn the page's (kind, id, rank) rows into hits with their force, round and snippet."""
    ids = defaultdict(list)
    for row in rows:
        ids[row["hit_kind"]].append(row["hit_id"])
    full_text = full_text_search_available()
    found = {}

    if ids[HitKind.REPLY]:
        replies = Reply.objects.filter(pk__in=ids[HitKind.REPLY]).select_related(
            "letter__force", "letter__round"
        )
        if full_text:
            replies = replies.defer("text").annotate(
                summary_matches=SearchVectorExact(
                    SearchVector("summary", config=SEARCH_CONFIG), _search_query(parsed)
                ),
                summary_headline=_headline("summary", parsed),
                text_headline=_headline("text", parsed),
            )
        for reply in replies:
            found[HitKind.REPLY, reply.pk] = _reply_hit(reply, parsed, full_text)

    if ids[HitKind.EXCERPT]:
        excerpts = Excerpt.objects.filter(pk__in=ids[HitKind.EXCERPT]).select_related(
            "coding__theme", "coding__reply__letter__force", "coding__reply__letter__round"
        )
        if full_text:
            excerpts = excerpts.annotate(headline=_headline("text", parsed, whole=True))
        for excerpt in excerpts:
            snippet = (
                _marked_segments(excerpt.headline)
                if full_text
                else _segments(excerpt.text, parsed, whole=True)
            )
            reply = excerpt.coding.reply
            found[HitKind.EXCERPT, excerpt.pk] = (
                f"Excerpt coded for {excerpt.coding.theme.name}",
                reply.letter,
                reply,
                snippet,
            )

    if ids[HitKind.LETTER]:
        letters = Letter.objects.filter(pk__in=ids[HitKind.LETTER]).select_related("force", "round")
        if full_text:
            letters = letters.defer("body").annotate(headline=_headline("body", parsed))
        for letter in letters:
            snippet = (
                _marked_segments(letter.headline) if full_text else _segments(letter.body, parsed)
            )
            found[HitKind.LETTER, letter.pk] = (f"Letter {letter.reference}", letter, None, snippet)

    hits = []
    for row in rows:
        found_in, letter, reply, snippet = found[row["hit_kind"], row["hit_id"]]
        hits.append(
            SearchHit(
                kind=row["hit_kind"],
                found_in=found_in,
                letter=letter,
                reply=reply,
                on=row["hit_on"],
                rank=row["rank"],
                snippet=snippet,
            )
        )
    return hits


def _reply_hit(reply: Reply, parsed: ParsedQuery, full_text: bool):
    """Show the summary when it answers the search by itself, else the reply's text."""
    kind = reply.get_kind_display()
    if full_text:
        summary, text = (
            _marked_segments(reply.summary_headline),
            _marked_segments(reply.text_headline),
        )
        summary_matches = reply.summary_matches
    else:
        summary, text = _segments(reply.summary, parsed), _segments(reply.text, parsed)
        summary_matches = all(
            re.search(_term_pattern(term), reply.summary, re.IGNORECASE) for term in parsed.required
        )
    if summary_matches and any(segment.is_match for segment in summary):
        return f"Summary of the {kind.lower()}", reply.letter, reply, summary
    return kind, reply.letter, reply, text


def _marked_segments(headline: str) -> tuple[Segment, ...]:
    """Segments of a ts_headline, whose matches sit between the two marker characters."""
    segments = []
    for index, piece in enumerate(re.split(f"{_MARK_START}(.*?){_MARK_STOP}", headline or "")):
        piece = re.sub(r"\s+", " ", piece)
        if piece:
            segments.append(Segment(piece, is_match=index % 2 == 1))
    return tuple(segments)


def _segments(text: str, parsed: ParsedQuery, *, whole: bool = False) -> tuple[Segment, ...]:
    """Segments of the passage of `text` that holds the most of the search's words, matches
    marked (the fallback's answer to ts_headline)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    pattern = None
    if parsed.required:
        terms = sorted(parsed.required, key=len, reverse=True)
        alternatives = "|".join(f"(?:{_term_pattern(term)})" for term in terms)
        pattern = re.compile(f"(?:{alternatives})\\w*", re.IGNORECASE)
    if whole or len(text) <= SNIPPET_CHARS:
        start, end = 0, len(text)
    else:
        start = max(0, _best_match_start(text, pattern) - SNIPPET_CHARS // 3)
        start = text.find(" ", start) + 1 if start else 0  # begin on a whole word
        end = min(len(text), start + SNIPPET_CHARS)
        space = text.rfind(" ", start, end)
        if end < len(text) and space > start:
            end = space  # end on a whole word
    passage = text[start:end]
    segments = [Segment("… ", False)] if start else []
    position = 0
    for match in pattern.finditer(passage) if pattern else ():
        if match.start() > position:
            segments.append(Segment(passage[position : match.start()], False))
        segments.append(Segment(match.group(), True))
        position = match.end()
    if position < len(passage):
        segments.append(Segment(passage[position:], False))
    if end < len(text):
        segments.append(Segment(" …", False))
    return tuple(segments)


def _best_match_start(text: str, pattern: re.Pattern | None) -> int:
    """Where the match begins after which a snippet holds the most different words."""
    matches = list(pattern.finditer(text)) if pattern else []
    reach = SNIPPET_CHARS * 2 // 3
    best_start, best_count = 0, 0
    for index, match in enumerate(matches):
        limit = match.start() + reach
        within = takewhile(lambda later, limit=limit: later.end() <= limit, matches[index:])
        words = {later.group().lower() for later in within}
        if len(words) > best_count:
            best_start, best_count = match.start(), len(words)
    return best_start
