"""Answers back into a CSV questionnaire, as CSV: same delimiter, quoting style, line endings
and byte-order mark, every other field as it was. (A side-car would lose the customer's
columns; a CSV has no formatting to lose.)"""

from __future__ import annotations

import csv
import io

from service.ingest.source import decode_text

from .plan import MARK, NotWritten, Write, marked

_BOM = b"\xef\xbb\xbf"


def fill_csv(source: bytes, writes: list[Write]) -> tuple[bytes, list[Write], list[NotWritten]]:
    text = decode_text(source)
    try:  # the same sniffing as ingest, so rows and columns mean the same
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:20000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    written: list[Write] = []
    refused: list[NotWritten] = []
    for write in writes:
        row, column = write.location.row, write.location.column
        if write.location.kind != "row" or not row or not column or row > len(records):
            refused.append(NotWritten(write.ref, write.role, str(write.location),
                                      "not a field of this file"))
            continue
        if write.location.control == "mark":
            # the mark in the chosen option's column, none left in the others
            values = [MARK if chosen else "" for chosen in marked(write.options, write.text)]
        else:
            values = [write.text]
        record = records[row - 1]
        record.extend([""] * (column - 1 + len(values) - len(record)))
        record[column - 1:column - 1 + len(values)] = values
        written.append(write)
    out = io.StringIO(newline="")
    line_end = "\r\n" if "\r\n" in text else "\n"
    csv.writer(out, dialect, lineterminator=line_end).writerows(records)
    prefix = _BOM if source.startswith(_BOM) else b""
    return prefix + out.getvalue().encode("utf-8"), written, refused
