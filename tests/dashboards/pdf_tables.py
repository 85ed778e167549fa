"""The tables of a tagged PDF, read from its structure tree rather than from its layout.

`tables_in_pdf(path)` gives every table of a tagged PDF (PDF/UA-1 as WeasyPrint writes it) as
the rows of cell texts a reader with a screen reader meets: header row first, then the body
rows, a table broken across pages joined back into one. It reads:

1. The text of every marked-content sequence. Each page's content stream is read by pypdf's
   own text extraction, `page.extract_text()`, with two visitors: `visitor_operand_before`
   follows the marked-content operators (`BDC` with an `/MCID` opens a sequence, `BMC`/`BDC`
   `/Artifact` opens running heads and page furniture that belong to no element, `EMC` closes
   the innermost) and `visitor_text` files each piece of decoded text under the sequence open
   when pypdf hands it over. pypdf does the decoding: WeasyPrint subsets its fonts and shows
   glyph codes (`[(\\$) 0 (U) 0 ...] TJ` for "Area"), readable only through each font's
   `/ToUnicode` CMap, and pypdf already applies those maps, encodings and text matrices. Our own
   reading of `ContentStream` operators would have to redo that decoding (with pypdf's private
   font classes or a CMap parser of our own); the visitors keep it to pypdf's public API.
   pypdf hands the text over at `ET` at the latest, and WeasyPrint writes every text run as
   `BDC BT ... Tf ... TJ ET EMC`, so no text reaches the wrong sequence.
2. The structure tree (`/StructTreeRoot`): elements with a structure type `/S` (mapped through
   `/RoleMap` when one is given) and kids `/K` that are elements, marked-content ids (on the
   element's `/Pg` page, inherited from the nearest ancestor that names one) or marked-content
   references `/MCR` with their own `/MCID` and `/Pg`. A `Table`'s rows are its `TR`
   descendants (inside `THead`, `TBody`, `TFoot` or not); a row's cells are its `TH` and `TD`
   children; a cell's text is the text of every sequence under it, in order, its whitespace
   collapsed to single spaces (a cell's text wrapped on several lines is one text box, and one
   sequence, a line; WeasyPrint drops the space at a line break).
3. Page breaks. WeasyPrint builds the tree page by page, so a table continued on the next page
   is a second `Table` element there (inside a second `Sect`), its repeated header row tagged
   again as a `THead` row. A `Table` element continues the one before it when, in the tree's
   reading order, no marked content comes between them, it starts on the page after the one
   the earlier table ends on, and its header rows equal the earlier table's (or it has none):
   its body rows are appended and its repeated header rows dropped. A table header repeated
   on every page is thus printed once, as in the HTML. A body row split across a page break
   would come back as two rows; the report's stylesheet keeps rows whole
   (`tr { page-break-inside: avoid }`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

Table = list[list[str]]
"""A table: its rows, header row(s) first, each row the texts of its cells."""

_CELLS = ("/TH", "/TD")
_ROW_GROUPS = ("/THead", "/TBody", "/TFoot")


@dataclass
class _Fragment:
    """One `Table` element: the part of a table on one page."""

    header: list[list[str]]
    body: list[list[str]]
    pages: set[int] = field(default_factory=set)


def tables_in_pdf(path: Path | str) -> list[Table]:
    """Every table of a tagged PDF, in reading order, from its structure tree (module doc)."""
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" not in root:
        raise ValueError(f"{path}: not a tagged PDF (no /StructTreeRoot)")
    tree = root["/StructTreeRoot"].get_object()
    roles = {str(k): str(v) for k, v in _get(tree, "/RoleMap", DictionaryObject()).items()}
    page_of = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)
               if page.indirect_reference is not None}
    texts = [_marked_texts(page) for page in reader.pages]
    return _join_fragments(_TreeReader(roles, page_of, texts).linearise(tree, None))


def _get(dictionary: DictionaryObject, key: str, default: Any = None) -> Any:
    """`dictionary[key]`, resolved if it is an indirect object (`dict.get` leaves it be), or
    `default`."""
    value = dictionary.get(key)
    return default if value is None else value.get_object()


def _marked_texts(page: PageObject) -> dict[int, str]:
    """The text of each marked-content id of a page: content stream decoded by pypdf."""
    texts: dict[int, list[str]] = {}
    owners: list[int | None] = []  # the sequence each open marked content files text under

    def operator(op: bytes, args: list[Any], _cm: Any, _tm: Any) -> None:
        if op in (b"BDC", b"BMC"):
            tag = args[0] if args else None
            mcid = None
            if op == b"BDC" and len(args) > 1:
                properties = args[1]
                if isinstance(properties, NameObject):  # a named /Properties resource
                    resources = _get(page, "/Resources", DictionaryObject())
                    named = _get(resources, "/Properties", DictionaryObject())
                    properties = _get(named, properties, DictionaryObject())
                mcid = _get(properties.get_object(), "/MCID")
            if tag == "/Artifact":
                owners.append(None)
            elif mcid is not None:
                owners.append(int(mcid))
            else:  # a sequence with no id belongs to the one around it
                owners.append(owners[-1] if owners else None)
        elif op == b"EMC" and owners:
            owners.pop()

    def text(piece: str, _cm: Any, _tm: Any, _font: Any, _size: Any) -> None:
        if piece and owners and owners[-1] is not None:
            texts.setdefault(owners[-1], []).append(piece)

    page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return {mcid: "".join(pieces) for mcid, pieces in texts.items()}


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _TreeReader:
    """Walks the structure tree, resolving marked content to text."""

    roles: dict[str, str]
    page_of: dict[int, int]
    texts: list[dict[int, str]]

    def role(self, element: DictionaryObject) -> str:
        tag = str(_get(element, "/S", ""))
        seen = {tag}
        while tag in self.roles and self.roles[tag] not in seen:  # a role map may chain
            tag = self.roles[tag]
            seen.add(tag)
        return tag

    def page(self, element: DictionaryObject, inherited: int | None) -> int | None:
        """The page an element's marked-content ids are on: its `/Pg`, else its parent's."""
        if "/Pg" not in element:
            return inherited
        ref = element.raw_get("/Pg")
        number = ref.idnum if isinstance(ref, IndirectObject) else (
            ref.indirect_reference.idnum if ref.indirect_reference else None)
        return self.page_of.get(number, inherited) if number is not None else inherited

    def kids(self, element: DictionaryObject) -> list[Any]:
        if "/K" not in element:
            return []
        k = element["/K"]
        return list(k) if isinstance(k, ArrayObject) else [k]

    def marks(self, element: DictionaryObject, page: int | None) -> list[tuple[int, str]]:
        """(page, text) of every marked-content sequence under `element`, in order."""
        out: list[tuple[int, str]] = []
        page = self.page(element, page)
        for kid in self.kids(element):
            kid = kid.get_object()
            if isinstance(kid, int):
                if page is not None:
                    out.append((page, self.texts[page].get(int(kid), "")))
            elif isinstance(kid, DictionaryObject):
                kind = _get(kid, "/Type")
                if kind == "/MCR":
                    mcr_page = self.page(kid, page)
                    if mcr_page is not None:
                        out.append((mcr_page, self.texts[mcr_page].get(int(kid["/MCID"]), "")))
                elif kind != "/OBJR":  # an annotation holds no page content
                    out.extend(self.marks(kid, page))
        return out

    def linearise(self, element: DictionaryObject, page: int | None
                  ) -> list[_Fragment | int]:
        """The tree in reading order: each table a `_Fragment`, other content its page."""
        page = self.page(element, page)
        if self.role(element) == "/Table":
            return [self.fragment(element, page)]
        out: list[_Fragment | int] = []
        for kid in self.kids(element):
            kid = kid.get_object()
            if isinstance(kid, int):
                if page is not None:
                    out.append(page)
            elif isinstance(kid, DictionaryObject):
                if _get(kid, "/Type") == "/MCR":
                    mcr_page = self.page(kid, page)
                    if mcr_page is not None:
                        out.append(mcr_page)
                elif _get(kid, "/Type") != "/OBJR":
                    out.extend(self.linearise(kid, page))
        return out

    def fragment(self, table: DictionaryObject, page: int | None) -> _Fragment:
        header: list[list[str]] = []
        body: list[list[str]] = []
        pages: set[int] = set()

        def rows(element: DictionaryObject, in_head: bool, page: int | None) -> None:
            page = self.page(element, page)
            for kid in self.kids(element):
                kid = kid.get_object()
                if not isinstance(kid, DictionaryObject) or "/S" not in kid:
                    continue
                role = self.role(kid)
                if role == "/TR":
                    row = []
                    row_page = self.page(kid, page)
                    for cell in self.kids(kid):
                        cell = cell.get_object()
                        if isinstance(cell, DictionaryObject) and self.role(cell) in _CELLS:
                            marks = self.marks(cell, row_page)
                            pages.update(p for p, _ in marks)
                            row.append(_squash(" ".join(t for _, t in marks)))
                    (header if in_head else body).append(row)
                elif role in _ROW_GROUPS:
                    rows(kid, in_head or role == "/THead", page)
                elif role != "/Table":  # a caption, or a wrapper: look inside
                    rows(kid, in_head, page)

        rows(table, False, page)
        if not pages and page is not None:
            pages.add(page)
        return _Fragment(header, body, pages)


def _join_fragments(items: list[_Fragment | int]) -> list[Table]:
    """Tables from their page fragments: a fragment continues the table just before it when
    nothing comes between, it starts on the next page, and it repeats the header (or has
    none)."""
    tables: list[_Fragment] = []
    previous: _Fragment | int | None = None
    for item in items:
        if isinstance(item, _Fragment):
            last = tables[-1] if tables else None
            if (isinstance(previous, _Fragment) and last is not None and last.pages
                    and item.pages and min(item.pages) == max(last.pages) + 1
                    and item.header in ([], last.header)):
                last.body.extend(item.body)
                last.pages.update(item.pages)
            else:
                tables.append(_Fragment([*item.header], [*item.body], set(item.pages)))
        previous = item
    return [[*t.header, *t.body] for t in tables]
