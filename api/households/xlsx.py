"""Reading the cells of an XLSX ledger as a stream, with every cell's length capped as it is read.

A ledger's fields are short (an address is at most 200 characters), but an XLSX is a zip of XML
that may inflate to anything: 330 KB can hold one cell of 320 million characters, which a
general reader (openpyxl keeps the whole shared-string table) builds in full before anyone
can look at it. Here the XML is parsed incrementally with expat and a cell keeps at most
``MAX_CELL_CHARS`` + 1 characters, enough for the importer to see it is too long; the
shared-string table holds at most ``MAX_SHARED_STRINGS`` entries; a document type declaration
(the vehicle of entity-expansion bombs) is refused; and the parts are read only up to their
declared sizes, which the caller has checked. Peak memory is bounded whatever the file.

Values come out as the text a person sees in the cell: shared and inline strings, numbers
(``13812345678.0`` as ``13812345678``), formula results as cached by Excel.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

# Longer than any ledger field (tags: 20 × 20 characters with separators), so that a cut cell
# is always refused by the row checks rather than silently shortened into something valid.
MAX_CELL_CHARS = 500
MAX_SHARED_STRINGS = 1_000_000
MAX_COLUMNS = 200
_CHUNK = 64 * 1024
_COLUMN = re.compile(r"^([A-Z]{1,3})")
_RELATIONSHIP_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"


class XlsxError(ValueError):
    """The workbook's structure cannot be read; the message is for the person who sent it."""


def _local(name: str) -> str:
    """An element's name without its namespace (transitional and strict OOXML differ there)."""
    return name.rsplit(" ", 1)[-1]


Start = Callable[[str, dict[str, str]], None]


def _parse(stream: IO[bytes], start: Start, end: Callable[[str], None], text: Callable[[str], None]) -> Iterator[None]:
    """Parse ``stream`` chunk by chunk, pausing after each chunk (so a caller can take what is done)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def no_doctype(*_: Any) -> None:
        raise XlsxError("Excel 文件中含有不允许的文档类型声明。")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
    parser.EndElementHandler = lambda name: end(_local(name))
    parser.CharacterDataHandler = text
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _parse_whole(stream: IO[bytes], start: Start) -> None:
    """Parse a small part (the workbook's list of sheets) for its start tags only."""
    with stream:
        for _ in _parse(stream, start, lambda _name: None, lambda _data: None):
            pass


class _Text:
    """Character data collected up to ``MAX_CELL_CHARS`` + 1, the rest dropped as it arrives."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.on = False

    def begin(self, *, on: bool = True) -> None:
        self.parts, self.size, self.on = [], 0, on

    def add(self, data: str) -> None:
        if self.on and self.size <= MAX_CELL_CHARS:
            piece = data[: MAX_CELL_CHARS + 1 - self.size]
            self.parts.append(piece)
            self.size += len(piece)

    def take(self) -> str:
        self.on = False
        return "".join(self.parts)


def sheets(archive: zipfile.ZipFile) -> list[str]:
    """The worksheets' part names, in the order the workbook shows their tabs."""
    order: list[str] = []
    targets: dict[str, str] = {}

    def sheet(name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            order.append(attrs.get(_RELATIONSHIP_ID, ""))

    def relationship(name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse_whole(archive.open("xl/workbook.xml"), sheet)
    _parse_whole(archive.open("xl/_rels/workbook.xml.rels"), relationship)
    parts = []
    for rel in order:
        target = targets.get(rel, "")
        parts.append(target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}"))
    return parts


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings, each cut to ``MAX_CELL_CHARS`` + 1 characters."""
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    table: list[str] = []
    text = _Text()
    phonetic = False  # the pronunciation guide over a name (<rPh>) is not part of its text

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal phonetic
        if name == "si":
            if len(table) >= MAX_SHARED_STRINGS:
                raise XlsxError("这个 Excel 文件中的不同文字太多，请把台账拆分后分批导入。")
            text.begin(on=False)
        elif name == "rPh":
            phonetic = True
        elif name == "t" and not phonetic:
            text.on = True  # the runs of a rich text join into one

    def end(name: str) -> None:
        nonlocal phonetic
        if name == "t":
            text.on = False
        elif name == "rPh":
            phonetic = False
        elif name == "si":
            table.append(text.take())

    with archive.open("xl/sharedStrings.xml") as stream:
        for _ in _parse(stream, start, end, text.add):
            pass
    return table


def rows(archive: zipfile.ZipFile, part: str, strings: list[str]) -> Iterator[tuple[int, list[str]]]:
    """A worksheet's rows as (row number, cell texts), at most ``MAX_COLUMNS`` cells each.

    Rows come out as the XML is parsed; rows with no cells at all are not in the XML and not here.
    """
    done: list[tuple[int, list[str]]] = []
    row: list[str] = []
    cell_type = ""
    column = number = 0
    value = _Text()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, number, cell_type, column
        if name == "row":
            row, column = [], 0
            given = attrs.get("r", "")
            number = int(given) if given.isdigit() else number + 1
        elif name == "c":
            cell_type = attrs.get("t", "n")
            if match := _COLUMN.match(attrs.get("r", "")):
                column = _column_index(match.group(1))
        elif name in ("v", "t") and column < MAX_COLUMNS:
            value.begin()

    def end(name: str) -> None:
        nonlocal column
        if name in ("v", "t") and value.on:
            text = value.take()
            if column < len(row):  # the runs of a rich inline string join into one text
                row[column] = (row[column] + text)[: MAX_CELL_CHARS + 1]
            else:
                row.extend([""] * (column - len(row)))
                row.append(_shown(text, cell_type, strings))
        elif name == "c":
            column += 1
        elif name == "row":
            done.append((number, row))

    with archive.open(part) as stream:
        for _ in _parse(stream, start, end, value.add):
            yield from done
            done.clear()


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _shown(text: str, cell_type: str, strings: list[str]) -> str:
    """A cell's raw value as the text it shows."""
    if cell_type == "s":
        try:
            return strings[int(text)]
        except (ValueError, IndexError) as exc:
            raise XlsxError("Excel 文件中的单元格引用了不存在的文字。") from exc
    if cell_type == "b":
        return "TRUE" if text.strip() == "1" else "FALSE"
    if cell_type == "n" and text:
        return _number(text)
    return text


def _number(text: str) -> str:
    """Excel stores 户编号 and phone numbers as numbers, often as ``1.3812345678E10``."""
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and abs(number) < 1e16 else text
