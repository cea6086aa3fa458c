"""The package's extended properties (`docProps/app.xml`) on lxml: the list of worksheets Excel shows in File > Info."""

from __future__ import annotations

__all__ = ["app_xml_with_sheets"]

from lxml import etree

from .opc import EXTENDED_NS, VT_NS, PackageError, parse, serialize


def _e(tag: str) -> str:
    return f"{{{EXTENDED_NS}}}{tag}"


def _vt(tag: str) -> str:
    return f"{{{VT_NS}}}{tag}"


def _count(variant: etree._Element) -> int | None:
    """The number a heading pair's second variant holds (`<vt:i4>`), None when it holds something else."""
    value = next(iter(variant), None)
    if value is None or value.tag != _vt("i4") or not (value.text or "").strip().isdigit():
        return None
    return int((value.text or "").strip())


def app_xml_with_sheets(app_xml: bytes, sheets: list[str]) -> bytes:
    """`docProps/app.xml` with its list of worksheets (HeadingPairs count, TitlesOfParts) set to `sheets`.

    The first heading pair is the worksheets' (as Excel and xlsxwriter write it); other pairs
    (named ranges) and every other property stay as they are. An app.xml of another shape, or
    one that already lists `sheets`, is returned unchanged (byte for byte).
    """
    try:
        root = parse(app_xml, "docProps/app.xml")
    except PackageError:
        return app_xml
    heads = root.find(f"{_e('HeadingPairs')}/{_vt('vector')}")
    titles = root.find(f"{_e('TitlesOfParts')}/{_vt('vector')}")
    if heads is None or titles is None:
        return app_xml
    variants = [v for v in heads if v.tag == _vt("variant")]
    counts = [_count(v) for v in variants[1::2]]
    items = [t for t in titles if t.tag == _vt("lpstr")]
    if not counts or None in counts or sum(c or 0 for c in counts) != len(items) or len(items) != len(titles):
        return app_xml
    first = counts[0] or 0
    if [t.text or "" for t in items[:first]] == sheets:
        return app_xml
    new = []
    for name in sheets:
        e = titles.makeelement(_vt("lpstr"))
        e.text = name
        new.append(e)
    titles[:] = new + items[first:]
    titles.set("size", str(len(sheets) + len(items) - first))
    next(iter(variants[1])).text = str(len(sheets))
    return serialize(root)
