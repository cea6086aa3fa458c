"""The command line: exit codes, lines printed, JSON shape; user mistakes never end in a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from elinvoima_xl.cli import main
from elinvoima_xl.sources.load import BUNDLED_CSV, bundled_path

FINDING_KEYS = {"severity", "code", "area", "line", "column", "expected", "actual", "gap", "message",
                "where", "rounding", "cause", "id"}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_check_bundled_exits_1_and_lists_findings() -> None:
    r = run_cli("check")
    assert r.returncode == 1, r.stderr
    assert "VIRHE: Elinvoimalautakunnan toimiala, Avustukset, TOT 2023 6 kk" in r.stdout
    assert "PYÖRISTYS:" in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("Yhteensä: 7 virhettä")


def test_check_json_is_stable() -> None:
    result = CliRunner().invoke(main, ["check", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["version"] == 1
    assert set(data["summary"]) == {"error", "warning", "info"}
    assert data["summary"]["error"] == 7
    assert all(set(f) == FINDING_KEYS for f in data["findings"])


def test_check_clean_file_exits_0(tmp_path: Path) -> None:
    p = tmp_path / "puhdas.csv"
    p.write_text("taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)\n"
                 "palvelualue;A;Myyntituotot;1 000;500\npalvelualue;A;Henkilöstökulut;-2 000;-1 000\n",
                 encoding="utf-8")
    r = run_cli("check", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Yhteensä: 0 virhettä" in r.stdout


def test_show_text_uses_finnish_numbers() -> None:
    r = run_cli("show", str(bundled_path(BUNDLED_CSV)))
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("Myyntituotot"))
    assert "207 300" in line and "111 313" in line and "95 987" in line and "53,70" in line


def test_show_json_lines_carry_every_column() -> None:
    data = json.loads(CliRunner().invoke(main, ["show", "--json"]).output)
    line = data["tables"][0]["lines"][0]
    assert set(line) == {"key", "label", "printed_label", "subtotal", "values", "remaining", "pct",
                         "forecast", "forecast_method", "printed_remaining", "printed_pct", "where", "mismatch"}
    assert line["values"] == {"tp_2022": 330, "tot_2022_6kk": 148, "ta_2023": 207_300, "tot_2023_6kk": 111_313}
    assert line["remaining"] == 207_300 - 111_313


def test_export_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "tiedot.xlsx"
    r = run_cli("export", "-o", str(out))
    assert r.returncode == 0, r.stderr
    r2 = run_cli("check", str(out), "--json")
    assert json.loads(r2.stdout)["summary"]["error"] == 7
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(("content", "words"), [
    (None, ["ei löydy"]),
    (b"", ["tyhjä"]),
    (b"taso;alue;rivi\n", ["TA", "puuttuu"]),
    (b"taso;alue;rivi;TA 2023;TOT 2023 6 kk\npalvelualue;A;Myyntituotot;x;1\n", ["rivi 2", "'x'"]),
])
def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path, content: bytes | None,
                                                      words: list[str]) -> None:
    p = tmp_path / "data.csv"
    if content is not None:
        p.write_bytes(content)
    r = run_cli("check", str(p))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    for w in words:
        assert w in r.stderr


def test_unsupported_suffix(tmp_path: Path) -> None:
    p = tmp_path / "data.pdf"
    p.write_bytes(b"%PDF")
    r = run_cli("show", str(p))
    assert r.returncode == 2 and "'.pdf' ei tueta" in r.stderr
