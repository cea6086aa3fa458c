"""Match printed line labels to the structure's lines by meaning, and say how a label strayed.

Published reports spell lines differently ("Vuokratulut" where "Vuokrakulut" is meant). A
label is matched first exactly (case, spacing and punctuation aside, known aliases
included), then within the block the row stands in (a row under TOIMINTAKULUT is an
expense), then by spelling across all lines. Anything but an exact match carries a note
so the check report can name it; nothing is dropped silently.
"""

from __future__ import annotations

__all__ = ["LabelMatch", "match_choice", "match_label", "normalize_label"]

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .model import LabelIssue
from .structure import Block, Kind, Line, Structure

_TAGS = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[^\w]+")

# How close a spelling must be to count as the same word (difflib ratio, 0..1).
MIN_RATIO_IN_BLOCK = 0.75
MIN_RATIO_ANYWHERE = 0.86


def normalize_label(text: str) -> str:
    """Lower-case, tags and punctuation removed, spaces folded: "<b>Toimintakulut</b>" -> "toimintakulut"."""
    t = unicodedata.normalize("NFC", _TAGS.sub(" ", text)).casefold()
    return " ".join(_NON_WORD.sub(" ", t).split())


@dataclass(frozen=True)
class LabelMatch:
    line: Line
    printed: str
    exact: bool
    misplaced: bool = False        # an exact label of the other block (revenue under expenses)
    note: str = ""                 # Finnish, for the check report; empty when exact and in place

    @property
    def issue(self) -> LabelIssue:
        """What the note is about: a label in the other block, or a spelling matched by likeness."""
        return LabelIssue.MISPLACED if self.misplaced else LabelIssue.SPELLING


def _names(line: Line) -> tuple[str, ...]:
    return (normalize_label(line.label), *(normalize_label(a) for a in line.aliases))


def _best(norm: str, candidates: list[Line]) -> tuple[float, Line | None, float]:
    """Best ratio, its line, and the runner-up's ratio (to refuse ambiguous guesses)."""
    scored = sorted(
        ((max(difflib.SequenceMatcher(None, norm, n).ratio() for n in _names(c)), i, c)
         for i, c in enumerate(candidates)),
        key=lambda x: (-x[0], x[1]),
    )
    if not scored:
        return 0.0, None, 0.0
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    return scored[0][0], scored[0][2], runner_up


def match_label(printed: str, structure: Structure, block: Block | None = None,
                has_figures: bool = True) -> LabelMatch | None:
    """Return the line `printed` means in `structure`, or None when nothing is close enough.

    Results are remembered per (label, structure, block): a data sheet repeats the same
    twenty labels for every area, and fuzzy matching is the slow part of reading it.
    """
    return _remembered_match(printed, structure, block if structure.has_blocks else None, has_figures)


@lru_cache(maxsize=10_000)
def _remembered_match(printed: str, structure: Structure, block: Block | None, has_figures: bool) -> LabelMatch | None:
    """`_match_label` remembered by its arguments (a structure is a hashable value; `LabelMatch` is frozen)."""
    return _match_label(printed, structure, block, has_figures)


def _match_label(printed: str, structure: Structure, block: Block | None,
                 has_figures: bool) -> LabelMatch | None:
    """Return the line `printed` means in `structure`, or None when nothing is close enough.

    `block` is the block the row stands in (from the heading above it), if known. A row
    without figures can be a heading (TOIMINTATUOTOT); a row with figures never is, which
    tells the heading from the subtotal of the same name (Toimintatuotot).
    """
    norm = normalize_label(printed)
    if not norm:
        return None
    if not structure.has_blocks:
        block = None   # TULOT / MENOT / NETTO: no blocks to stand in, rows in any order
    lines = [ln for ln in structure.lines if (ln.kind is Kind.HEADER) != has_figures]
    if not has_figures and not any(norm in _names(ln) for ln in lines):
        lines = list(structure.lines)  # a figure-less row of an ordinary line: all figures empty
    exact = [ln for ln in lines if norm in _names(ln)]
    if exact:
        # Prefer the line of the block the row stands in when a label exists in several.
        in_block = [ln for ln in exact if block is None or ln.block == block]
        line = (in_block or exact)[0]
        misplaced = (block is not None and line.kind is Kind.DETAIL
                     and line.block in (Block.REVENUE, Block.EXPENSE)
                     and block in (Block.REVENUE, Block.EXPENSE) and line.block != block)
        note = ""
        if misplaced and block is not None:
            note = (f"rivi '{printed}' on {_block_word(block)}lohkossa, vaikka nimi on "
                    f"{_block_word(line.block)}rivin nimi")
        return LabelMatch(line, printed, exact=True, misplaced=misplaced, note=note)
    if block in (Block.REVENUE, Block.EXPENSE):
        candidates = [ln for ln in structure.value_lines if ln.block == block]
        ratio, near, runner_up = _best(norm, candidates)
        if near is not None and ratio >= MIN_RATIO_IN_BLOCK and ratio > runner_up:
            return LabelMatch(near, printed, exact=False, note=_spelling_note(printed, near, structure))
    ratio, near, runner_up = _best(norm, list(structure.value_lines))
    if near is not None and ratio >= MIN_RATIO_ANYWHERE and ratio - runner_up > 0.05:
        return LabelMatch(near, printed, exact=False, note=_spelling_note(printed, near, structure))
    return None


def _block_word(block: Block) -> str:
    return {Block.REVENUE: "tuotto", Block.EXPENSE: "kulu", Block.RESULT: "tulos"}[block]


def _spelling_note(printed: str, line: Line, structure: Structure) -> str:
    note = f"rivin nimi '{printed}' poikkeaa; tulkittu riviksi '{line.label}'"
    # Say so when the printed word is itself the name of a line of the other block.
    norm = normalize_label(printed)
    other = [ln for ln in structure.value_lines if ln.block != line.block
             and max(difflib.SequenceMatcher(None, norm, n).ratio() for n in _names(ln)) >= 0.8]
    if other:
        note += f" (kirjoitusasu muistuttaa riviä '{other[0].label}', mutta rivi on {_block_word(line.block)}lohkossa)"
    return note


def match_choice(printed: str, choices: tuple[str, ...], min_ratio: float = 0.8) -> tuple[str | None, bool]:
    """Match free text to one of a fixed set of choices (e.g. a goal's Tila); (choice, exact)."""
    norm = normalize_label(printed)
    for c in choices:
        if normalize_label(c) == norm:
            return c, True
    scored = sorted(((difflib.SequenceMatcher(None, norm, normalize_label(c)).ratio(), c) for c in choices),
                    reverse=True)
    if scored and scored[0][0] >= min_ratio and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1], False
    return None, False
