"""Shared fixtures: the seed text (from ../shared when present, else the bundled copy) and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from elinvoima_xl.load import bundled_path
from elinvoima_xl.model import Review
from elinvoima_xl.sources.review_text import parse_review_text

REPO = Path(__file__).resolve().parents[1]
SHARED_SEED = REPO.parent / "shared" / "seed" / "000_823b26d550694300.txt"


def seed_path() -> Path:
    return SHARED_SEED if SHARED_SEED.exists() else bundled_path()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return seed_path().read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_review(seed_text: str) -> Review:
    return parse_review_text(seed_text, "seed.txt")
