"""Excel fidelity as a test helper: validate a package with openxml-audit (the Open XML SDK's validator, Microsoft 365 rules).

Usage in any test: ``assert_valid_package(data, "Elinvoima.xlsm")`` with the bytes (or a path)
of a file the project wrote; it fails listing the first findings when there is any error.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from openxml_audit import FileFormat, OpenXmlValidator
from openxml_audit.errors import ValidationError, ValidationSeverity


@cache
def _validator() -> OpenXmlValidator:
    return OpenXmlValidator(file_format=FileFormat.MICROSOFT_365, max_errors=0)


def package_errors(data: bytes | Path, name: str = "package.xlsx") -> list[ValidationError]:
    """Every error openxml-audit finds in the package (`name` gives its kind by suffix: .xlsx, .xlsm)."""
    if isinstance(data, Path):
        return [e for e in _validator().validate(data).errors if e.severity is ValidationSeverity.ERROR]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return package_errors(path)


def assert_valid_package(data: bytes | Path, name: str = "package.xlsx") -> None:
    """Fail unless openxml-audit -f microsoft365 finds zero errors in the package."""
    errors = package_errors(data, name)
    assert not errors, f"openxml-audit: {len(errors)} virhettä tiedostossa {name}:\n" + "\n".join(
        str(e) for e in errors[:15])
