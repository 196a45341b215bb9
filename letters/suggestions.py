"""Suggested coding of a reply against the codebook's themes, and holding-reply detection.

Pure Python, no database: the caller passes the reply's text, the themes (code, name,
question, keywords) and what people have already coded (accepted excerpts), and gets back,
per theme, a judgement, a score, up to three candidate excerpts (whole sentences copied
verbatim from the text) and the reasons, plus a guess at whether the reply is a holding reply.

How a theme is judged, sentence by sentence:

- cues come from the theme's keywords, from the distinctive words of its question, from a
  small hand-written list of generic paraphrases per theme code (`DOMAIN_CUES`), and from
  excerpts people have coded before (TF-IDF cosine similarity, scikit-learn);
- a keyword only counts as a whole word, and not where its sense is plainly another one
  (a place such as "training centre", "in order to");
- cues are grouped by concept and a sentence needs about two distinct concepts, or one
  strong one (a specific codebook phrase, a close coded excerpt), to count as evidence: a
  single common word ("officers", "demand", "monitoring") is never enough on its own;
- a sentence that names a theme only to put it off ("will write to you separately") counts
  for little unless it also gives a fact;
- one evidence sentence makes the theme `partly` addressed, two or more `addressed`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ADDRESSED = "addressed"
PARTLY = "partly"
NOT_ADDRESSED = "not"

MAX_EXCERPTS = 3
# A sentence's cue weights must add up to this for it to count as evidence for a theme.
EVIDENCE_THRESHOLD = 1.0
# Cosine similarity to a coded excerpt from which the resemblance is worth saying, and from
# which it is evidence on its own.
SIMILARITY_FLOOR = 0.3
SIMILAR_ENOUGH = 0.45
# What a heading naming the theme adds to a sentence under it that already has a cue.
HEADING_WEIGHT = 0.4
# What is left of a sentence's weight when it only puts the theme off to a later letter.
DEFERRED_FACTOR = 0.3


@dataclass(frozen=True)
class ThemeSpec:
    """A codebook entry as the engine needs it."""

    code: str
    name: str
    question: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class LearnedExample:
    """An excerpt a person accepted for a theme in an earlier coding."""

    theme_code: str
    judgement: str
    text: str
    # The reply it was quoted from, so a caller can keep a reply from learning from itself.
    source_reply_id: int | None = None


@dataclass(frozen=True)
class ThemeSuggestion:
    theme_code: str
    judgement: str
    score: float
    excerpts: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def proposed(self) -> bool:
        return self.judgement in (ADDRESSED, PARTLY)


@dataclass(frozen=True)
class HoldingSuggestion:
    is_holding: bool
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReplySuggestion:
    themes: tuple[ThemeSuggestion, ...]
    holding: HoldingSuggestion

    def for_theme(self, code: str) -> ThemeSuggestion:
        return next(suggestion for suggestion in self.themes if suggestion.theme_code == code)


# --------------------------------------------------------------------------------------
# Letter layout and sentences
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """A sentence of the reply; `text` is exactly `source[start:end]`."""

    text: str
    start: int
    end: int
    heading: str = ""  # the section heading it sits under
    in_body: bool = True  # between the salutation and the sign-off
    is_layout: bool = False  # a heading, address, date or signature line, not prose

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def is_candidate(self) -> bool:
        """Whether the sentence can be offered as an excerpt."""
        return self.in_body and not self.is_layout and self.words >= 5


_SALUTATION = re.compile(r"^\s*(?:Dear|To whom it may concern)\b", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^\s*(?:.{0,20}\bYours\s+(?:sincerely|faithfully|truly|ever)|Yours,?\s*$"
    r"|(?:With\s+)?(?:kind|best|warm|many)\s+(?:regards|wishes)|Regards\b)",
    re.IGNORECASE,
)
# Used with .match() at a line's or a paragraph's start, hence no "^".
_LIST_MARKER = re.compile(
    r"\s*(?:[-\u2022*\u2013\u2014]|\(?\d{1,2}[.)]|\(?[a-hj-z][.)]|\(?[ivx]{1,4}\))\s+"
)
# A line with one of these words is the letter's subject line, not a section heading.
_SUBJECT_LINE = re.compile(r"^\s*(?:re|subject|fao|our ref|your ref)\b|\bletter\b", re.IGNORECASE)
_TERMINAL = re.compile(r"[.?!:;][\"'\u201d\u2019)]*\s*$")
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "mx", "prof", "st", "rt", "hon", "rev", "sr", "jr", "no", "nos",
    "co", "ltd", "inc", "plc", "vs", "v", "cf", "approx", "dept", "det", "supt", "insp", "sgt",
    "con", "cllr", "cmdr", "ch", "gen", "col", "capt", "lt", "sec", "para", "paras", "fig",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "e.g", "i.e", "p", "pp", "s", "ss", "tel", "ext",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9\u00a3])")


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, offset = [], 0
    for raw in text.splitlines(keepends=True):
        content = raw.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        spans.append((offset, offset + len(content)))
        offset += len(raw)
    return spans


def _blocks(text: str) -> list[list[tuple[int, int]]]:
    """Runs of non-blank lines (paragraphs, address blocks, signatures)."""
    blocks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in _line_spans(text):
        if text[start:end].strip():
            current.append((start, end))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _units(text: str, block: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Split a block into ('line', ...) layout lines and ('prose', ...) runs of flowing text.

    A line without closing punctuation is a layout line (heading, address, name) unless it
    is as long as the block's other lines, when it is prose wrapped at a fixed width.
    """
    widest = max(len(text[start:end].strip()) for start, end in block)
    units: list[tuple[str, int, int]] = []
    for start, end in block:
        line = text[start:end]
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        start, end = start + lead, start + lead + len(stripped)
        wrapped = len(stripped) >= 45 and len(stripped) >= 0.75 * widest
        is_layout = not _TERMINAL.search(stripped) and not wrapped
        if is_layout:
            units.append(("line", start, end))
        elif units and units[-1][0] == "prose" and not _LIST_MARKER.match(stripped):
            units[-1] = ("prose", units[-1][1], end)
        else:
            units.append(("prose", start, end))
    return units


def _split_prose(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within one run of prose, skipping a leading list marker."""
    marker = _LIST_MARKER.match(text, start, end)
    if marker:
        start = marker.end()
    spans, sentence_start = [], start
    for boundary in _BOUNDARY.finditer(text, start, end):
        before = text[sentence_start : boundary.start()]
        last_word = re.search(r"([A-Za-z][A-Za-z.]*)$", before)
        if last_word:
            token = last_word.group(1).lower().rstrip(".")
            # "Dr. Smith", "B. J. Marlowe", "e.g. ..." do not end a sentence.
            if token in _ABBREVIATIONS or (len(token) == 1 and last_word.group(1).isupper()):
                continue
        stop = boundary.start() + len(boundary.group().rstrip())
        spans.append((sentence_start, stop))
        sentence_start = boundary.end()
    if sentence_start < end:
        spans.append((sentence_start, end))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def split_sentences(text: str) -> list[Sentence]:
    """Sentences and headings of a letter, in order, with where each sits.

    The body runs from the line after the salutation ("Dear ...") to the sign-off
    ("Yours sincerely"); address blocks, dates and signatures fall outside it.
    """
    blocks = _blocks(text)
    lines = [span for block in blocks for span in block]
    body_start, body_end = 0, len(text)
    salutation = next((s for s, e in lines if _SALUTATION.match(text[s:e])), None)
    if salutation is not None:
        body_start = next((e for s, e in lines if s == salutation), 0)
    sign_off = next((s for s, e in lines if s >= body_start and _SIGN_OFF.match(text[s:e])), None)
    if sign_off is not None:
        body_end = sign_off

    sentences: list[Sentence] = []
    heading = ""
    for block in blocks:
        for kind, start, end in _units(text, block):
            in_body = body_start <= start < body_end
            if kind == "line":
                line = text[start:end]
                if in_body and not _SUBJECT_LINE.search(line):
                    marker = _LIST_MARKER.match(line)
                    heading = line[marker.end() if marker else 0 :].strip(" :.")
                sentences.append(
                    Sentence(line, start, end, heading, in_body=in_body, is_layout=True)
                )
                continue
            spans = _split_prose(text, start, end)
            for index, (s, e) in enumerate(spans):
                piece = text[s:e]
                # "1. Our arrangements. Modern slavery is ..." opens with a run-in heading.
                run_in = in_body and index == 0 and len(spans) > 1 and len(piece.split()) <= 4
                if run_in:
                    heading = piece.strip(" :.")
                sentences.append(Sentence(piece, s, e, heading, in_body, is_layout=run_in))
    return sentences


# --------------------------------------------------------------------------------------
# Cues: keywords, question words and generic paraphrases
# --------------------------------------------------------------------------------------

# Words so common in any police letter that, alone, they say nothing about a theme.
COMMON_POLICE_WORDS = {
    "officer", "officers", "staff", "police", "force", "forces", "team", "teams", "unit",
    "demand", "work", "support", "people", "crime", "crimes", "monitoring", "structure",
    "structures", "awareness", "governance", "capacity", "resource", "resources", "guidance",
}  # fmt: skip

# Words of a theme's question that carry no topic of their own.
_QUESTION_STOPWORDS = {
    "a", "an", "and", "any", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "in", "into", "is", "it", "its", "of", "on", "or", "other", "see",
    "the", "their", "them", "they", "this", "to", "what", "when", "where", "which", "who",
    "whom", "why", "with", "without", "enough", "receive", "provides", "provide", "now",
    "future", "reflect", "nature", "fear", "seek", "investigate", "uncovering", "complex",
    "modern", "slavery", "human", "trafficking", "force", "police", "policing", "crime",
    "officers", "staff", "cannot", "whether", "make", "made", "there",
}  # fmt: skip

# A place or a job title made from a keyword is not the keyword's topic: "training centre".
_PLACE_AFTER = re.compile(
    r"[ -]+(?:centres?|centers?|grounds?|schools?|facilit(?:y|ies)|suites?|rooms?|buildings?"
    r"|sites?|venues?|academ(?:y|ies)|campus(?:es)?)\b",
    re.IGNORECASE,
)
_ORDER_OTHER_SENSE = re.compile(
    r"\bin order(?: to| that)\b|\border (?:of|to|book)\b|\bpublic order\b"
    r"|\bin (?:good |working )?order\b",
    re.IGNORECASE,
)

_COUNT = re.compile(
    r"(?<![\w/£.,])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w/])(?!\s+(?:January|February|March|"
    r"April|May|June|July|August|September|October|November|December)\b)"
    r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|dozen)\b|£\s?\d",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")

# Hand-written, generic paraphrases of the four seeded themes: how police letters commonly
# talk about each topic without the codebook's words (themes added later rely on their
# keywords, their question and what people code). Each entry is (concept, weight, phrases);
# phrases are regular-expression fragments matched as whole words, case ignored, and the
# matches of one concept count once in a sentence.
DOMAIN_CUES: dict[str, list[tuple[str, float, tuple[str, ...]]]] = {
    "structures": [
        ("joint working", 0.5, (
            r"joint(?:ly)?", r"co-?located", r"shared? (?=(?:a|an|one|our|the) )",
            r"multi-?(?:force|agency)", r"partnership with", r"do not work in isolation",
        )),
        ("other forces", 0.6, (
            r"(?:other|neighbouring|partner|receiving|surrounding|each|every) forces?",
            r"all (?:three|four|five|six) forces?", r"forces? (?:that|which) border",
            r"force areas?", r"cross-?border", r"beyond the force", r"county boundary",
            r"force boundar(?:y|ies)", r"abroad", r"international",
        )),
        ("national agencies", 0.6, (
            r"National Crime Agency", r"NCA", r"Europol", r"Interpol", r"Border Force",
            r"Immigration Enforcement",
        )),
        ("information exchange", 0.6, (
            r"intelligence", r"(?:exchange|share|shares|sharing|pass|passes) (?:of )?information",
            r"information (?:exchange|sharing)", r"analytical",
            r"brief(?:s|ed)? (?:each|every|the) (?:receiving )?force",
        )),
        # Who takes on which cases is the heart of a force's operational arrangements.
        ("who handles cases", 0.7, (
            r"cases?\b[^.;]{0,80}?\b(?:led|investigated|handled|taken on|dealt with|managed"
            r"|worked|passed|referred)\b[^.;]{0,15}?\b(?:by|to)",
            r"leads? on",
        )),
        ("specialist unit", 0.3, (
            r"units?", r"command", r"directorate", r"hub", r"task ?force", r"cell",
        )),
        ("criminal networks", 0.3, (r"networks?", r"county lines?", r"organised", r"gangs?")),
    ],
    "ancillary-orders": [
        ("court orders", 0.5, (r"orders?",)),
        ("courts", 0.4, (
            r"courts?", r"magistrates?", r"judges?", r"on conviction", r"granted",
            r"appl(?:y|ied|ication|ications) for",
        )),
        ("conditions", 0.5, (
            r"conditions", r"terms of (?:the|their|an|each) orders?", r"prohibit\w*",
            r"forb(?:id|ids|ade|idden)", r"restrict(?:s|ed|ions?)?", r"bann?(?:ed|s)?",
        )),
        ("compliance", 0.5, (
            r"compl(?:y|ies|ied|iance)", r"offender management", r"supervis\w+",
            r"visits? (?:each|every|the) subject", r"checks? (?:compliance|that)",
        )),
        ("national records", 0.6, (
            r"Police National Computer", r"PNC", r"national (?:police )?(?:systems?|databases?)",
        )),
        ("breaches", 0.5, (r"ignor(?:e|ed|ing) the (?:conditions|terms)", r"for breaching")),
        ("subjects", 0.3, (r"subjects?",)),
    ],
    "training": [
        ("courses", 0.5, (
            r"courses?", r"workshops?", r"seminars?", r"sessions?", r"modules?", r"classroom",
            r"lectures?", r"briefings?", r"inputs?", r"masterclass(?:es)?",
        )),
        ("learning", 0.5, (
            r"taught", r"teach\w*", r"learn(?:t|ed|ing)?", r"instruct(?:ed|ion)", r"educat\w+",
            r"upskill\w*", r"continuing professional development",
        )),
        ("attending", 0.3, (r"attend(?:s|ed|ing)?", r"completed", r"undergone", r"mandatory")),
        ("recognising signs", 0.5, (
            r"(?:spot|spotting|recognise|recognize|identify|identifying) (?:the )?"
            r"(?:signs|indicators|victims|possible victims)",
            r"signs of", r"indicators of",
        )),
        ("learners", 0.3, (
            r"recruits?", r"student officers?", r"probationers?",
            r"new (?:officers|constables|investigators|detectives|staff)", r"frontline",
            r"call handlers?", r"PCSOs?", r"response officers",
            r"neighbourhood (?:officers|teams|constables?)",
        )),
        ("expert advice", 0.3, (
            r"specialist advice", r"advis(?:er|ers|or|ors|ed)", r"expertise", r"checklists?",
            r"aide-?memoires?", r"toolkits?", r"briefing notes?",
        )),
        ("referral duties", 0.3, (r"Duty to Notify", r"referrals? (?:into|to) the")),
    ],
    "resourcing": [
        ("people", 0.3, (
            r"officers?", r"staff", r"detectives?", r"investigators?", r"analysts?", r"posts?",
            r"constables?", r"headcount", r"personnel", r"PCSOs?",
        )),
        ("money", 0.6, (
            r"£\s?\d[\d,.]*(?:\s?(?:million|m|bn|k)\b)?", r"million", r"budgets?",
            r"fund(?:s|ed|ing)?", r"precept", r"invest(?:s|ed|ing|ment)?", r"money",
            r"pa(?:id|ying) for", r"afford",
        )),
        ("growth", 0.5, (
            r"increase[sd]?", r"additional", r"extra", r"gr(?:ow|own|owth|ew)",
            r"doubl(?:e|ed|ing)", r"recruit(?:ed|ing|ment)", r"uplift", r"new (?:posts|team|unit)",
            r"appointed", r"allocated", r"expand(?:ed)?", r"gained",
            r"(?:more|further) (?:officers|staff|detectives|investigators)",
        )),
        ("capacity", 0.5, (
            r"capacity", r"demand", r"caseloads?", r"workloads?", r"keep pace", r"stretched",
            r"resourc(?:e|es|ed|ing)", r"under-?resourced",
        )),
        # Numbers of people or money; years and dates are left out where matched.
        ("counts", 0.2, (_COUNT.pattern,)),
    ],
}  # fmt: skip


def _phrases_pattern(phrases: Sequence[str]) -> re.Pattern:
    return re.compile(
        r"(?<!\w)(?:" + "|".join(f"(?:{phrase})" for phrase in phrases) + r")(?!\w)",
        re.IGNORECASE,
    )


_DEFERRAL = re.compile(
    r"\b(?:will|shall|would|intend to|expect to|hope to)\s+(?:\w+\s+){0,3}?"
    r"(?:write|reply|respond|return to|come back|report back)\b"
    r"|\bwhen I write again\b|\b(?:is|are) (?:still )?being (?:considered|reviewed)\b"
    r"|\bbetter (?:put|directed|addressed|answered)\b|\ba matter for\b|\bwill be covered\b"
    r"|\bonce (?:that|the|this|our) (?:review|work|audit)\b|\bonce decisions\b"
    r"|\bnot yet (?:possible|able|in a position)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Cue:
    concept: str
    weight: float
    pattern: re.Pattern
    source: str  # "keyword", "question" or "domain"
    claims: bool = False  # a specific phrase whose words no other theme may reuse


@dataclass
class _Match:
    cue: _Cue
    start: int
    end: int
    surface: str


_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ings", "ing", "ised", "ises", "ise", "ized", "izes",
    "ize", "ers", "er", "ors", "or", "ed", "es", "s", "e",
)  # fmt: skip


def _stem(word: str) -> str:
    """A crude stem, enough to treat "coordinate" and "coordination" as one word."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _inflected(stem: str) -> str:
    return (
        re.escape(stem)
        + r"(?:e|es|ed|ing|ings|s|ation|ations|ement|ements|ment|ments|er|ers|or|ors|ised|ise)?"
    )


def _keyword_pattern(keyword: str) -> re.Pattern:
    words = keyword.split()
    if len(words) == 1 and keyword.isupper() and len(keyword) >= 2:
        # An acronym: its case matters ("PND", not "pnd"), a plural or possessive may follow.
        return re.compile(rf"\b{re.escape(keyword)}(?:s|'s|\u2019s)?\b")
    body = r"[\s-]+".join(re.escape(word) for word in words)
    return re.compile(rf"\b{body}(?:s|es)?\b", re.IGNORECASE)


def _question_words(theme: ThemeSpec, others: Sequence[ThemeSpec]) -> list[str]:
    """Words of the theme's question that no other theme's question shares."""

    def words(question: str) -> set[str]:
        found = re.findall(r"[A-Za-z][A-Za-z-]+", question)
        return {w.lower() for w in found if w.lower() not in _QUESTION_STOPWORDS and len(w) > 3}

    shared = {
        _stem(w) for other in others if other.code != theme.code for w in words(other.question)
    }
    return sorted(w for w in words(theme.question) if _stem(w) not in shared)


def _theme_cues(theme: ThemeSpec, all_themes: Sequence[ThemeSpec]) -> list[_Cue]:
    cues = []
    for keyword in theme.keywords:
        keyword = keyword.strip()
        if not keyword:
            continue
        specific = len(keyword.split()) > 1 or (keyword.isupper() and len(keyword) >= 2)
        common = keyword.lower() in COMMON_POLICE_WORDS
        weight = 1.0 if specific else (0.3 if common else 0.6)
        concept = "common words" if common else f"‘{_stem(keyword.split()[-1])}’"
        cues.append(_Cue(concept, weight, _keyword_pattern(keyword), "keyword", claims=specific))
    for word in _question_words(theme, all_themes):
        stem = _stem(word)
        pattern = re.compile(rf"\b{_inflected(stem)}\b", re.IGNORECASE)
        cues.append(_Cue(f"‘{stem}’", 0.35, pattern, "question"))
    for concept, weight, phrases in DOMAIN_CUES.get(theme.code, []):
        cues.append(_Cue(concept, weight, _phrases_pattern(phrases), "domain"))
    return cues


def _other_sense(text: str, match: re.Match, cue: _Cue) -> str | None:
    """Why this match of a one-word cue is not the theme's sense, if it plainly is not."""
    word = match.group()
    place = _PLACE_AFTER.match(text, match.end())
    if place and word.isalpha():
        return f"‘{word} {place.group().strip(' -')}’ names a place"
    if word.lower().startswith("order"):
        window = text[max(0, match.start() - 12) : match.end() + 10]
        other = _ORDER_OTHER_SENSE.search(window)
        if other:
            return f"‘{other.group()}’ is not a court order"
    return None


def _find(cues: Iterable[_Cue], text: str) -> tuple[list[_Match], list[str]]:
    matches, other_senses = [], []
    for cue in cues:
        for found in cue.pattern.finditer(text):
            if cue.source == "domain" and cue.concept == "counts":
                number = found.group().strip()
                if _YEAR.match(number):
                    continue
            reason = _other_sense(text, found, cue)
            if reason:
                other_senses.append(reason)
                continue
            matches.append(_Match(cue, found.start(), found.end(), found.group()))
    return matches, other_senses


# --------------------------------------------------------------------------------------
# Learned examples
# --------------------------------------------------------------------------------------


@dataclass
class _Resemblance:
    similarity: float
    example: LearnedExample


def _resemblances(
    sentences: Sequence[Sentence], examples: Sequence[LearnedExample], theme_codes: set[str]
) -> dict[tuple[int, str], _Resemblance]:
    """For each (sentence index, theme code), the closest excerpt people coded for it."""
    usable = [
        example
        for example in examples
        if example.theme_code in theme_codes
        and example.judgement in (ADDRESSED, PARTLY)
        and example.text.strip()
    ]
    candidates = [i for i, sentence in enumerate(sentences) if sentence.is_candidate]
    if not usable or not candidates:
        return {}
    # Imported here so that replies with nothing learned yet never load scikit-learn.
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import linear_kernel

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    try:
        matrix = vectorizer.fit_transform(
            [example.text for example in usable] + [sentences[i].text for i in candidates]
        )
    except ValueError:  # nothing but stop words
        return {}
    similarities = linear_kernel(matrix[len(usable) :], matrix[: len(usable)])
    best: dict[tuple[int, str], _Resemblance] = {}
    for row, sentence_index in enumerate(candidates):
        for column, example in enumerate(usable):
            similarity = float(similarities[row, column])
            key = (sentence_index, example.theme_code)
            if similarity >= SIMILARITY_FLOOR and (
                key not in best or similarity > best[key].similarity
            ):
                best[key] = _Resemblance(similarity, example)
    return best


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------


@dataclass
class _SentenceScore:
    index: int
    score: float
    concepts: dict[str, _Match] = field(default_factory=dict)
    heading: bool = False
    resemblance: _Resemblance | None = None
    deferred: bool = False


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return f"‘{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}’"


def _concrete(text: str) -> bool:
    return any(not _YEAR.match(found.group()) for found in _COUNT.finditer(text))


def _score_sentence(
    index: int,
    sentence: Sentence,
    matches: list[_Match],
    claimed_elsewhere: list[tuple[int, int]],
    heading_matches: bool,
    resemblance: _Resemblance | None,
) -> _SentenceScore:
    # The words of another theme's specific phrase ("Modern Slavery Police Transformation
    # Unit") are that theme's, and do not count again here as "unit".
    kept = [m for m in matches if not any(m.start < e and s < m.end for s, e in claimed_elsewhere)]
    # Where two cues cover the same words, the heavier one speaks for them.
    kept.sort(key=lambda m: -m.cue.weight)
    chosen: list[_Match] = []
    for match in kept:
        if not any(match.start < other.end and other.start < match.end for other in chosen):
            chosen.append(match)
    concepts: dict[str, _Match] = {}
    for match in chosen:
        current = concepts.get(match.cue.concept)
        if current is None or match.cue.weight > current.cue.weight:
            concepts[match.cue.concept] = match
    score = sum(match.cue.weight for match in concepts.values())
    if resemblance is not None:
        score += min(1.2, EVIDENCE_THRESHOLD * resemblance.similarity / SIMILAR_ENOUGH)
    with_heading = heading_matches and score > 0
    if with_heading:
        score += HEADING_WEIGHT
    deferred = bool(_DEFERRAL.search(sentence.text)) and not _concrete(sentence.text)
    if deferred:
        score *= DEFERRED_FACTOR
    return _SentenceScore(index, score, concepts, with_heading, resemblance, deferred)


def _surface_words(scores: Sequence[_SentenceScore]) -> list[str]:
    seen: dict[str, float] = {}
    for sentence_score in scores:
        for match in sentence_score.concepts.values():
            if match.cue.concept == "counts":
                continue
            words = match.surface.split()
            # A long match ("cases ... are passed to") is shown by its ends.
            word = " ".join(words if len(words) <= 4 else [*words[:2], "…", *words[-2:]])
            key = word.lower()
            if key not in {k.lower() for k in seen}:
                seen[word] = match.cue.weight
    return [word for word, _ in sorted(seen.items(), key=lambda item: -item[1])]


def _judge_theme(
    theme: ThemeSpec,
    sentences: Sequence[Sentence],
    scores: list[_SentenceScore],
    other_senses: list[str],
) -> ThemeSuggestion:
    evidence = sorted(
        (s for s in scores if s.score >= EVIDENCE_THRESHOLD and sentences[s.index].is_candidate),
        key=lambda s: -s.score,
    )
    total = sum(min(s.score, 2.5) for s in evidence)
    reasons: list[str] = []
    if evidence:
        judgement = ADDRESSED if len(evidence) >= 2 else PARTLY
        score = 1 - math.exp(-total / 1.5)
        words = _surface_words(evidence)
        if words:
            reasons.append("mentions " + ", ".join(f"‘{w}’" for w in words[:6]))
        headings = sorted({sentences[s.index].heading for s in evidence if s.heading})
        if headings:
            reasons.append("under the heading " + ", ".join(_quote(h, 40) for h in headings))
        for s in evidence[:MAX_EXCERPTS]:
            if s.resemblance is not None:
                reasons.append(
                    f"resembles an excerpt coded for {theme.name}: "
                    f"{_quote(s.resemblance.example.text)}"
                )
        reasons.append(
            f"{len(evidence)} sentence{'s' if len(evidence) != 1 else ''} on the theme"
            + (" (addressed)" if judgement == ADDRESSED else " (partly)")
        )
        excerpts = tuple(sentences[s.index].text for s in evidence[:MAX_EXCERPTS])
        return ThemeSuggestion(
            theme.code, judgement, round(score, 3), excerpts, tuple(dict.fromkeys(reasons))
        )

    deferrals = [s for s in scores if s.deferred and s.concepts]
    passing = sorted((s for s in scores if s.score > 0), key=lambda s: -s.score)
    excerpts: tuple[str, ...] = ()
    if deferrals:
        first = deferrals[0]
        reasons.append(f"named only to put it off: {_quote(sentences[first.index].text)}")
        excerpts = (sentences[first.index].text,)
    if passing:
        words = _surface_words(passing)
        if words:
            reasons.append(
                "only in passing: "
                + ", ".join(f"‘{w}’" for w in words[:4])
                + ", not enough on its own"
            )
    for reason in dict.fromkeys(other_senses):
        reasons.append(f"not counted: {reason}")
    if not reasons:
        reasons.append("no sentence on this theme")
    best = passing[0].score if passing else 0.0
    score = round(min(0.3, best / EVIDENCE_THRESHOLD * 0.3), 3)
    return ThemeSuggestion(theme.code, NOT_ADDRESSED, score, excerpts, tuple(reasons))


# --------------------------------------------------------------------------------------
# Holding replies
# --------------------------------------------------------------------------------------

_LATER_REPLY = re.compile(
    r"\b(?:full|fuller|complete|detailed|substantive|considered|comprehensive|formal)\s+"
    r"(?:reply|response|answer)\b"
    r"|\bwrite (?:to you )?(?:again|in full|more fully|further)\b"
    r"|\b(?:reply|respond|write)(?: to you)? (?:in full|fully)\b"
    r"|\bnot (?:yet )?(?:possible|able|in a position) to (?:give|respond|reply|answer)"
    r"|\bnot yet possible\b|\bunable to (?:give|respond|reply|answer)\b"
    r"|\bcannot (?:yet )?(?:respond|reply|answer)\b"
    r"|\backnowledge (?:receipt|your letter)\b|\bwrite to you (?:by|before|within)\b",
    re.IGNORECASE,
)
# A holding reply is short; a full reply that also promises more on one point is not.
HOLDING_MAX_EVIDENCE_SENTENCES = 2
HOLDING_MAX_WORDS = 300


def _judge_holding(
    sentences: Sequence[Sentence], evidence_sentences: set[int]
) -> HoldingSuggestion:
    body = [s for s in sentences if s.in_body and not s.is_layout]
    words = sum(s.words for s in body)
    promises = [s for s in body if _LATER_REPLY.search(s.text)]
    substance = len(evidence_sentences)
    reasons = []
    if promises:
        reasons.append(f"promises a fuller reply later: {_quote(promises[0].text)}")
    else:
        reasons.append("does not promise a later reply")
    reasons.append(
        f"{substance} sentence{' answers' if substance == 1 else 's answer'} a theme, "
        f"in {words} words of body text"
    )
    short = substance <= HOLDING_MAX_EVIDENCE_SENTENCES and words <= HOLDING_MAX_WORDS
    is_holding = bool(promises) and short
    if promises and not short:
        reasons.append("too much substance for a holding reply")
    # The score leans on the promise, less so on how little the letter says.
    score = (0.6 if promises else 0.0) + 0.4 * max(0.0, 1 - substance / 6) * (
        1 if words <= HOLDING_MAX_WORDS else 0.5
    )
    return HoldingSuggestion(is_holding, round(min(score, 1.0), 3), tuple(reasons))


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def suggest_coding(
    *,
    text: str,
    themes: Sequence[ThemeSpec],
    examples: Sequence[LearnedExample] = (),
) -> ReplySuggestion:
    """Propose a judgement, excerpts and reasons per theme, and say if it is a holding reply."""
    sentences = split_sentences(text)
    cues = {theme.code: _theme_cues(theme, themes) for theme in themes}
    resemblances = _resemblances(sentences, examples, {theme.code for theme in themes})

    candidates = [index for index, sentence in enumerate(sentences) if sentence.is_candidate]
    per_sentence = {
        index: {code: _find(theme_cues, sentences[index].text) for code, theme_cues in cues.items()}
        for index in candidates
    }

    def heading_matches(heading: str, theme: ThemeSpec) -> bool:
        if not heading:
            return False
        name_stems = {_stem(w) for w in re.findall(r"[A-Za-z]{4,}", theme.name)}
        heading_stems = {_stem(w) for w in re.findall(r"[A-Za-z]{4,}", heading)}
        strong = [m for m in _find(cues[theme.code], heading)[0] if m.cue.weight >= 0.5]
        return bool(name_stems & heading_stems or strong)

    suggestions = []
    evidence_sentences: set[int] = set()
    for theme in themes:
        scores, other_senses = [], []
        for index in candidates:
            sentence = sentences[index]
            matches, not_counted = per_sentence[index][theme.code]
            other_senses.extend(not_counted)
            claimed = [
                (m.start, m.end)
                for code, (other_matches, _) in per_sentence[index].items()
                if code != theme.code
                for m in other_matches
                if m.cue.claims
            ]
            scores.append(
                _score_sentence(
                    index,
                    sentence,
                    matches,
                    claimed,
                    heading_matches(sentence.heading, theme),
                    resemblances.get((index, theme.code)),
                )
            )
        suggestion = _judge_theme(theme, sentences, scores, other_senses)
        evidence_sentences.update(s.index for s in scores if s.score >= EVIDENCE_THRESHOLD)
        suggestions.append(suggestion)
    return ReplySuggestion(tuple(suggestions), _judge_holding(sentences, evidence_sentences))


def keyword_baseline(*, text: str, themes: Sequence[ThemeSpec]) -> set[str]:
    """Theme codes whose keywords appear anywhere in the text: the plain match to beat."""
    return {
        theme.code
        for theme in themes
        if any(_keyword_pattern(k.strip()).search(text) for k in theme.keywords if k.strip())
    }
