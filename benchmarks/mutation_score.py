"""Kill rate of `make mutation` per core module, from mutmut's results (run after `mutmut run`)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

BIN = Path(sys.executable).parent


def main() -> int:
    out = subprocess.run([str(BIN / "mutmut"), "results", "--all", "true"], capture_output=True, text=True,
                         check=True).stdout
    counts: dict[str, Counter[str]] = {}
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".x")[0].removeprefix("elinvoima_xl.")
        counts.setdefault(module, Counter())[status] += 1
    total: Counter[str] = Counter()
    for module, c in sorted(counts.items()):
        total.update(c)
        print(_line(module, c))
    print(_line("yhteensä", total))
    return 0


def _line(name: str, c: Counter[str]) -> str:
    # Killed, timed out (an endless loop is caught) and killed by a type check count as caught.
    caught = c["killed"] + c["timeout"] + c["caught by type check"]
    tested = caught + c["survived"] + c["suspicious"]
    rate = 100.0 * caught / tested if tested else 0.0
    return (f"{name:10s} {rate:5.1f} % ({caught}/{tested} caught; survived {c['survived']}, "
            f"no tests {c['no tests']}, not checked {c['not checked']})")


if __name__ == "__main__":
    raise SystemExit(main())
