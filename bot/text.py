"""Plain-text helpers shared by every stage: HTML reduction, cleaning and excerpts.

``html_to_text`` turns feed HTML into the plain text that matching and rendering
see: tags are dropped (block tags become line breaks), entities and numeric
character references are decoded, ``<script>``/``<style>`` bodies and comments vanish.
``clean_text`` removes what must never reach storage or Telegram: NULs and
other control characters, lone surrogates, entity references nobody could expand
(``&lol9;`` from a feed's DTD), and collapses runs of spaces.
``excerpt`` is the most of a user's input a reply may quote back.

Every step is linear in its input, whatever the input holds (feed text is hostile):
the three HTML passes are forward-only scanners (``str.find`` and possessive or
bounded patterns; a failed "<" shares its searches with the later ones), and each
regular expression is argued linear where it is defined. ``tests/test_linear_time.py``
measures them all on the classic hostile shapes.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from html.entities import html5

_BLOCK_TAGS = frozenset(
    "p div br li ul ol tr td th table h1 h2 h3 h4 h5 h6 blockquote pre section article "
    "header footer figure figcaption hr dd dt dl".split()
)
# Where a comment or an element whose whole body vanishes (up to ``</name>``, or the end of
# the input) may start. Linear: after "<" at most 8 fixed characters and a lookahead of one.
# Their end tags, ``</name\s*+>``, are found with a possessive (non-backtracking) blank run;
# searches only move forward and stop where the pass resumes.
_SKIPPED_START = re.compile(
    r"<(?:!--|(script|style|template|noscript|iframe|object)(?!\w))", re.IGNORECASE
)
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_CHARS = _NAME_START | frozenset("0123456789:-")
# The common tag (quoted values hold no "<"), else a lone "<" for the general path. Linear:
# every quantifier is possessive, so nothing is tried twice, and no class or quoted value
# reads past a "<": a match attempted at one "<" stops at the next, where the next starts.
_SIMPLE_TAG_OR_LT = re.compile(
    r"</?([a-zA-Z][a-zA-Z0-9:-]*+)(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+>|<"
)

# Linear: one character class, so a match is one run and a failed start costs one step.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# A blank run holding a line break, as one match from the run's first character (the
# lookbehind fails at once inside a run). Without it, ``\s*\n\s*`` rescans a run with no
# line break from each of its characters: quadratic (8,000 x U+2028: 1.2 s).
_BLANK_LINES = re.compile(r"(?<!\s)\s*\n\s*")
# Linear: a start needs "&"; the name class excludes "&" and ";", so the runs scanned from
# different starts are disjoint, and backtracking stays inside the run.
_ENTITY_REF = re.compile(r"&([^\W\d][\w.:-]*);")
# Linear: ``search`` stops at the first hit; a failed start costs at most 33 steps
# (``\d+``/hex runs always succeed, since ``;?`` cannot fail).
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!?]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});?")
# A character reference above U+10FFFF by its digit count alone (8+ significant decimal digits,
# 7+ hex). ``html.unescape`` turns those into U+FFFD but first calls ``int()`` on the digits,
# which raises past 4,300 digits. Linear: a start needs "&#"; the first significant digit is
# not "0", so ``0*`` cannot trade characters with what follows; runs are disjoint as above.
_HUGE_CHARREF = re.compile(r"&#(?:[xX]0*[1-9a-fA-F][0-9a-fA-F]{6,}|0*[1-9][0-9]{7,});?")
_MAX_HTML = 256 * 1024  # HTML beyond this is not read: text is capped far below it anyway
EXCERPT = 40  # characters of user input a reply may quote


def html_to_text(value: str, limit: int | None = None) -> str:
    """Reduce HTML (or text with entities) to clean plain text, at most ``limit`` chars.

    Scanners, not a DOM: script/style bodies and comments vanish, CDATA sections are
    unwrapped, block tags become line breaks, other tags disappear, then entities and
    character references are decoded. Each pass is linear (see the pass functions), and
    the input is capped at 256 KiB first.
    """
    if not value:
        return ""
    if _LOOKS_LIKE_HTML.search(value):
        value = value[:_MAX_HTML]
        value = _drop_skipped(value)
        value = _unwrap_cdata(value)
        value = _drop_tags(value)
        value = html.unescape(_HUGE_CHARREF.sub("\ufffd", value))
    return clean_text(value, limit)


def clean_text(value: str, limit: int | None = None, *, entities: bool = True) -> str:
    """Strip control characters, lone surrogates and (unless ``entities`` is false: ids keep
    them, so that stored keys stay as they were) unexpandable entity references (``&lol9;``;
    ``AT&T`` and ``Q&A`` stay), fold blank runs, cap the length."""
    value = _CONTROL.sub("", value)
    if entities and "&" in value:
        value = _ENTITY_REF.sub(_unexpanded, value)
    value = _SPACES.sub(" ", value)
    value = _BLANK_LINES.sub("\n", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)].rstrip() + "…"
    return value


def excerpt(value: str, limit: int = EXCERPT) -> str:
    """At most ``limit`` characters of ``value`` on one line, "…" when cut (not escaped)."""
    value = " ".join(_CONTROL.sub("", value[: 4 * limit + 64]).split())
    if len(value) > limit:
        value = value[: max(0, limit - 1)].rstrip() + "…"
    return value


def _unexpanded(match: re.Match[str]) -> str:
    # Whatever still looks like ``&name;`` here is a reference no parser expanded (an entity
    # of the feed's DTD, a typo) or a double-escaped one; only the latter has a meaning.
    # A space, not nothing: removing ``&b;`` from ``&a&b;;`` must not form ``&a;``.
    return match.group(0) if match.group(1) + ";" in html5 else " "


# --------------------------------------------------------------------------- the HTML passes
#
# Each pass copies the input to the output once. A construct that starts at "<" either
# matches, and the pass resumes after it, or does not, and the pass copies the "<" and
# resumes at the next character. What makes that linear is that every search a failed
# start performs is shared with the later starts: the next ">" is a cached, monotone
# pointer, and the end of a tag is memoized per quote/">" position (``_TagEnds``).


class _NextGT:
    """Position of the next ">" at or after ``pos`` (-1: none); the last answer is reused, so
    a pass asking at increasing positions searches each part of the text once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.start = len(text) + 1  # the last question ...
        self.found = -1  # ... and its answer: no ">" in text[start:found]

    def at(self, pos: int) -> int:
        if not (self.start <= pos and (self.found < 0 or pos <= self.found)):
            self.start, self.found = pos, self.text.find(">", pos)
        return self.found


def _drop_skipped(text: str) -> str:
    """``<script …>…</script>`` (and the other ``_SKIPPED``) and ``<!--…-->`` -> " ".

    An element without its end tag, or a comment without ``-->``, runs to the end of the
    input. An opening tag without its ">" is left alone (a later pass keeps it as text).
    """
    if "<" not in text:
        return text
    next_gt = _NextGT(text)
    out: list[str] = []
    copied = pos = 0
    while found := _SKIPPED_START.search(text, pos):
        start, name = found.start(), found.group(1)
        if name is None:  # a comment
            close = text.find("-->", found.end())
            end = len(text) if close < 0 else close + 3
        else:
            gt = next_gt.at(found.end())
            if gt < 0:
                pos = start + 1
                continue
            end_tag = re.compile(r"</" + re.escape(name) + r"\s*+>", re.IGNORECASE)
            close_tag = end_tag.search(text, gt + 1)
            end = close_tag.end() if close_tag else len(text)
        out += (text[copied:start], " ")
        copied = pos = end
    out.append(text[copied:])
    return "".join(out)


def _unwrap_cdata(text: str) -> str:
    """``<![CDATA[x]]>`` -> ``x``; an unterminated section runs to the end of the input."""
    if "<![CDATA[" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := text.find("<![CDATA[", pos)) >= 0:
        body = start + 9
        close = text.find("]]>", body)
        out += (text[pos:start], text[body : close if close >= 0 else len(text)])
        pos = len(text) if close < 0 else close + 3
    out.append(text[pos:])
    return "".join(out)


class _TagEnds:
    """Where a tag whose name ends at ``pos`` ends: after its first ">" outside quotes.

    Inside a tag, only ``>``, ``"`` and ``'`` matter; at each such position the outcome is
    fixed ("ends here", "skip the quoted value, go on at the next such position after it",
    or "never ends": an unclosed quote or no ">"), so it is computed once per position and
    shared by every tag that reaches it. A quoted value is searched once per opening quote
    and spans to the next same quote, so all these searches together read the input at most
    twice: linear, however many unclosed tags start inside each other's quotes.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.marks = [m.start() for m in re.finditer(r"[>\"']", text)]  # one class: linear
        self.ends: dict[int, int] = {}  # mark index -> end of tag (-1: never)

    def at(self, pos: int) -> int:
        text, marks, ends = self.text, self.marks, self.ends
        index = bisect_left(marks, pos)
        path: list[int] = []
        while True:
            if index >= len(marks):
                result = -1
                break
            if index in ends:
                result = ends[index]
                break
            path.append(index)
            mark = marks[index]
            if text[mark] == ">":
                result = mark + 1
                break
            close = text.find(text[mark], mark + 1)
            if close < 0:
                result = -1
                break
            index = bisect_left(marks, close + 1, index + 1)
        for seen in path:
            ends[seen] = result
        return result


def _drop_tags(text: str) -> str:
    """Tags -> "\\n" (block tags) or "" (others); ``<!…>`` and ``<?…>`` -> "".

    A tag is ``<``, an optional ``/``, an ASCII name, then anything up to the first ">"
    outside single or double quotes. A "<" that starts no complete tag stays as text.
    """
    if "<" not in text:
        return text
    tag_ends: _TagEnds | None = None
    next_gt = _NextGT(text)
    out: list[str] = []
    copied = 0
    n = len(text)
    for found in _SIMPLE_TAG_OR_LT.finditer(text):
        pos = found.start()
        if pos < copied:
            continue  # inside a tag the general path below already consumed
        name = found.group(1)
        if name is None:  # a "<" that starts no simple tag
            i = pos + 1
            end = -1
            if i < n and text[i] in "!?":
                gt = next_gt.at(i + 1)
                end = gt + 1 if gt >= 0 else -1
            else:
                if i < n and text[i] == "/":
                    i += 1
                if i < n and text[i] in _NAME_START:
                    start = i
                    while i < n and text[i] in _NAME_CHARS:
                        i += 1
                    tag_ends = tag_ends or _TagEnds(text)
                    end = tag_ends.at(i)
                    name = text[start:i]
            if end < 0:
                continue
        else:
            end = found.end()
        out += (text[copied:pos], "\n" if name and name.lower() in _BLOCK_TAGS else "")
        copied = end
    out.append(text[copied:])
    return "".join(out)
