"""LibreOffice Calc, headless, as the real spreadsheet engine of the tests: recalculate and convert files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """The soffice binary; skips loudly off CI, fails in CI (where .ci/run installs it)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) puuttuu CI:stä: .ci/run asentaa libreoffice-calc-paketin.")
    pytest.skip("LibreOffice is not installed: spreadsheet-engine tests SKIPPED (CI runs them)")


def convert_all(files: list[Path], fmt: str, out_dir: Path, timeout: float = 300) -> list[Path]:
    """Every file opened, recalculated and saved as `fmt` in `out_dir` by one LibreOffice run (a start costs seconds).

    The files need distinct stems: the outputs are named after them.
    """
    assert len({f.stem for f in files}) == len(files), [f.name for f in files]
    profile = out_dir / "lo-profile"
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
    result = subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(out_dir), *map(str, files)],
        capture_output=True, text=True, timeout=timeout)
    outs = [out_dir / (f.stem + "." + fmt.split(":")[0]) for f in files]
    if result.returncode != 0 or not all(o.exists() for o in outs):
        raise AssertionError(f"LibreOffice failed on {[f.name for f in files]}: {result.stdout}\n{result.stderr}")
    return outs


def convert(src: Path, fmt: str, out_dir: Path) -> Path:
    """`src` opened, recalculated (every formula, cached values ignored) and saved as `fmt` in `out_dir`."""
    return convert_all([src], fmt, out_dir, timeout=180)[0]
