"""Shared fixtures: the seed text (from ../shared when present, else the bundled copy), the built workbook, markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from elinvoima_xl.sources.load import bundled_path
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.review_text import parse_review_text

REPO = Path(__file__).resolve().parents[1]
SHARED_SEED = REPO.parent / "shared" / "seed" / "000_823b26d550694300.txt"


def seed_path() -> Path:
    """The reference seed in ../shared; the test asking for it is SKIPPED LOUDLY when it is absent.

    Without it a comparison with the bundled copy would compare that copy with itself and prove nothing.
    """
    if not SHARED_SEED.exists():
        pytest.skip(f"the reference seed {SHARED_SEED} is absent: comparison with the bundled copy SKIPPED "
                    "(run the suite in a checkout with ../shared beside it)")
    return SHARED_SEED


@pytest.fixture(scope="session")
def shared_seed() -> Path:
    """`seed_path()` as a fixture: the reference seed in ../shared, or the test skips loudly."""
    return seed_path()


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The seed's text: the reference in ../shared when present, else the bundled copy (the same bytes, tested)."""
    return (SHARED_SEED if SHARED_SEED.exists() else bundled_path()).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_review(seed_text: str) -> Review:
    return parse_review_text(seed_text, "seed.txt")


@pytest.fixture(scope="session")
def built_workbook(seed_review: Review) -> bytes:
    """The team's workbook built once from the seed, for every test that only reads it (bytes cannot change)."""
    from elinvoima_xl.jobs.team_workbook import build_workbook

    return build_workbook(seed_review)


@pytest.fixture(scope="session")
def built_csv_workbook() -> bytes:
    """The team's workbook built once from the bundled data file (another input than the text: its findings point
    at the file's lines), for every test that only reads it."""
    from elinvoima_xl.jobs.team_workbook import build_workbook
    from elinvoima_xl.sources.load import BUNDLED_CSV, load_review

    return build_workbook(load_review(bundled_path(BUNDLED_CSV)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every LibreOffice test is also `slow`: `pytest -m "not slow"` is the fast loop."""
    for item in items:
        if item.get_closest_marker("libreoffice") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
