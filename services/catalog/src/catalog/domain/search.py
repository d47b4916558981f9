"""Chinese full-text search without a Chinese parser in PostgreSQL, pure: text is segmented here (``rjieba``, a
kept tokenizer from PyPI) into space-separated words that PostgreSQL's ``simple`` configuration turns into a
``tsvector`` at write time; a query is segmented the same way into a ``tsquery``. Synonyms and domain words
(排产 ↔ 计划排程) are data (``data/synonyms.yaml``) applied to the query, so changing them needs no re-index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import rjieba
import yaml

_WORD = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
MAX_QUERY_TERMS = 16


def words(text: str) -> list[str]:
    """The words of ``text`` for the index: jieba's precise segmentation in order (so that adjacent words stay
    adjacent for phrase queries), then the finer words of its search mode and, for a Chinese word of three or more
    characters, its two-character parts (a new word such as 排产云 gives 排产, so a query for 排产 finds it)."""
    main = _query_words(text)
    extras: list[str] = []
    seen = set(main)
    for token in rjieba.cut_for_search(text):
        for word in _WORD.findall(token):
            if word.lower() not in seen:
                extras.append(word.lower())
                seen.add(word.lower())
    for word in main:
        if len(word) >= 3 and _CJK.fullmatch(word):
            extras.extend(part for part in (word[i:i + 2] for i in range(len(word) - 1)) if part not in seen)
    return main + extras


def segmented(*texts: str | None) -> str:
    """The texts as one space-separated string of words, for ``to_tsvector('simple', …)``."""
    return " ".join(w for t in texts if t for w in words(t))


def _query_words(text: str) -> list[str]:
    found: list[str] = []
    for token in rjieba.cut(text):
        found.extend(w.lower() for w in _WORD.findall(token))
    return found


@dataclass(frozen=True)
class Synonyms:
    version: int
    groups: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for group in self.groups:
            if len(group) < 2 or any(not term.strip() for term in group):
                raise ValueError(f"synonym group {group!r}: at least two non-empty terms")

    def group_of(self, term: str) -> tuple[str, ...] | None:
        lowered = term.lower()
        return next((g for g in self.groups if lowered in (t.lower() for t in g)), None)

    def terms(self) -> list[str]:
        """Every term, longest first (a query is matched against the longest term it contains)."""
        return sorted({t for g in self.groups for t in g}, key=lambda t: (-len(t), t))


@cache
def load_synonyms(name: str = "synonyms.yaml") -> Synonyms:
    raw = yaml.safe_load(resources.files("catalog.domain").joinpath("data", name).read_text(encoding="utf-8"))
    return Synonyms(int(raw["version"]), tuple(tuple(str(t) for t in g) for g in raw["groups"]))


def _lexeme(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"


def _phrase(term: str) -> str | None:
    parts = _query_words(term)
    if not parts:
        return None
    return _lexeme(parts[0]) if len(parts) == 1 else "(" + " <-> ".join(_lexeme(p) for p in parts) + ")"


def tsquery(text: str, synonyms: Synonyms | None = None) -> str | None:
    """The ``to_tsquery('simple', …)`` text of a user's query: every word must match (AND); a synonym term is
    any of its group (OR), each alternative segmented like the index and its words adjacent (a phrase, ``<->``).
    None when the query has no words."""
    synonyms = synonyms or load_synonyms()
    pieces: list[str] = []
    rest = text
    for term in synonyms.terms():
        if term.lower() in rest.lower():
            group = synonyms.group_of(term) or (term,)
            alternatives = [p for p in (_phrase(t) for t in group) if p]
            if alternatives:
                pieces.append("(" + " | ".join(dict.fromkeys(alternatives)) + ")")
            rest = re.sub(re.escape(term), " ", rest, flags=re.IGNORECASE)
    pieces.extend(_lexeme(w) for w in _query_words(rest))
    pieces = list(dict.fromkeys(pieces))[:MAX_QUERY_TERMS]
    return " & ".join(pieces) if pieces else None


# ---- price bands (facets), as data -----------------------------------------------------------------

PRICE_BANDS: Sequence[tuple[str, str, int | None, int | None]] = (
    # code, label, from fen (inclusive), to fen (exclusive)
    ("under_10k", "1万元以下", 0, 1_000_000),
    ("10k_50k", "1万–5万元", 1_000_000, 5_000_000),
    ("50k_200k", "5万–20万元", 5_000_000, 20_000_000),
    ("over_200k", "20万元以上", 20_000_000, None),
)


def price_band(fen: int | None) -> str | None:
    if fen is None:
        return None
    for code, _, low, high in PRICE_BANDS:
        if (low is None or fen >= low) and (high is None or fen < high):
            return code
    return None


