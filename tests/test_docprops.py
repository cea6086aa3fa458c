"""docProps/app.xml's sheet list rewritten through lxml: shapes Excel, xlsxwriter and others write."""

from __future__ import annotations

from lxml import etree

from elinvoima_xl.ooxml.docprops import app_xml_with_sheets
from elinvoima_xl.ooxml.opc import EXTENDED_NS, VT_NS

DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _app(pairs: str, titles: str, size: int, prefix: str = "vt", pair_size: int = 2) -> bytes:
    p = prefix
    body = (f'<Properties xmlns="{EXTENDED_NS}" xmlns:{p}="{VT_NS}"><Application>Microsoft Excel</Application>'
            f'<HeadingPairs><{p}:vector size="{pair_size}" baseType="variant">{pairs}</{p}:vector></HeadingPairs>'
            f'<TitlesOfParts><{p}:vector size="{size}" baseType="lpstr">{titles}</{p}:vector></TitlesOfParts>'
            "<Company>Heinolan kaupunki</Company><AppVersion>16.0300</AppVersion></Properties>")
    return DECL + body.encode("utf-8")


def _pair(name: str, n: int, p: str = "vt") -> str:
    return (f"<{p}:variant><{p}:lpstr>{name}</{p}:lpstr></{p}:variant>"
            f"<{p}:variant><{p}:i4>{n}</{p}:i4></{p}:variant>")


def _titles(names: list[str], p: str = "vt") -> str:
    return "".join(f"<{p}:lpstr>{n}</{p}:lpstr>" for n in names)


def _read(xml: bytes) -> tuple[list[int], list[str], str | None]:
    root = etree.fromstring(xml)
    counts = [int(e.text or "") for e in root.iter(f"{{{VT_NS}}}i4")]
    vector = root.find(f"{{{EXTENDED_NS}}}TitlesOfParts/{{{VT_NS}}}vector")
    assert vector is not None
    return counts, [e.text or "" for e in vector], vector.get("size")


def test_the_worksheets_are_replaced_and_named_ranges_kept() -> None:
    app = _app(_pair("Worksheets", 2) + _pair("Named Ranges", 1), _titles(["Vanha", "Toinen", "Alue!Tulos"]), 3,
               pair_size=4)
    out = app_xml_with_sheets(app, ["Yhteenveto", "Kulttuuri", "Tarkistukset"])
    # 3 sheets + the one named range kept after them
    assert _read(out) == ([3, 1], ["Yhteenveto", "Kulttuuri", "Tarkistukset", "Alue!Tulos"], "4")
    assert b"<Company>Heinolan kaupunki</Company>" in out and b"<AppVersion>16.0300</AppVersion>" in out
    assert out.startswith(DECL)


def test_another_prefix_for_the_vector_types_is_followed() -> None:
    app = _app(_pair("Laskentataulukot", 1, "t"), _titles(["A"], "t"), 1, prefix="t")
    out = app_xml_with_sheets(app, ["A", "B"])
    assert _read(out) == ([2], ["A", "B"], "2")
    assert b"<t:lpstr>B</t:lpstr>" in out and b"xmlns:ns0" not in out


def test_names_are_escaped() -> None:
    out = app_xml_with_sheets(_app(_pair("Worksheets", 1), _titles(["A"]), 1), ["T&K <ulkoiset>"])
    assert b"<vt:lpstr>T&amp;K &lt;ulkoiset&gt;</vt:lpstr>" in out
    assert _read(out)[1] == ["T&K <ulkoiset>"]


def test_the_same_list_leaves_the_bytes_as_they_were() -> None:
    app = _app(_pair("Worksheets", 2), _titles(["A", "B"]), 2).replace(b"<Company>Heinolan kaupunki</Company>",
                                                                          b"<Company></Company>")
    assert app_xml_with_sheets(app, ["A", "B"]) is app


def test_other_shapes_are_returned_unchanged() -> None:
    counted_wrong = _app(_pair("Worksheets", 3), _titles(["A", "B"]), 2)        # 3 counted, 2 listed
    not_a_count = _app(_pair("Worksheets", 2).replace("vt:i4>2</vt:i4", "vt:lpstr>x</vt:lpstr"), _titles(["A"]), 1)
    no_titles = DECL + f'<Properties xmlns="{EXTENDED_NS}"><Application>X</Application></Properties>'.encode()
    broken = _app(_pair("Worksheets", 1), _titles(["A"]), 1)[:-20]
    for app in (counted_wrong, not_a_count, no_titles, broken, b""):
        assert app_xml_with_sheets(app, ["Uusi"]) == app
