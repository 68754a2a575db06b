"""Answers into a fillable PDF form's own fields: the customer gets their PDF filled in.

Text and choice fields get the text, with an appearance drawn for it; a group of radio buttons
or checkboxes gets the export value of the chosen option's button (option i is the i-th button
in reading order, as ingest numbers them) and every button its on or off appearance; a lone
checkbox is ticked for its one option, "Yes". The form asks viewers to redraw what they show
from the values (NeedAppearances), so every viewer shows what was written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from .plan import CHOICE_SEPARATOR, NotWritten, Write

_RADIO, _PUSHBUTTON = 1 << 15, 1 << 16


class _FieldError(Exception):
    """The field is not in the form, or cannot take the value."""


@dataclass
class _Field:
    name: str
    kind: str  # "/Tx", "/Ch" or "/Btn"
    flags: int
    value_holder: DictionaryObject  # the dictionary that carries the field's /V
    page: PageObject
    widgets: list[tuple[tuple[int, float, float], DictionaryObject]] = field(default_factory=list)

    def buttons(self) -> list[DictionaryObject]:
        return [widget for _, widget in sorted(self.widgets, key=lambda w: w[0])]


def fill_pdf(source: bytes, writes: list[Write]) -> tuple[bytes, list[Write], list[NotWritten]]:
    """The form with `writes` set in its fields, the writes made and the ones refused."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    fields = _fields(writer)
    written: list[Write] = []
    refused: list[NotWritten] = []
    for write in writes:
        try:
            form_field = fields.get(write.location.field or "") \
                if write.location.kind == "field" else None
            if form_field is None:
                raise _FieldError("not a field of this form")
            _set(writer, form_field, write)
        except _FieldError as exc:
            refused.append(NotWritten(write.ref, write.role, str(write.location), str(exc)))
        else:
            written.append(write)
    writer.set_need_appearances_writer(True)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), written, refused


def _fields(writer: PdfWriter) -> dict[str, _Field]:
    """The form's fields by full name, each with its widgets and where they stand."""
    found: dict[str, _Field] = {}
    for number, page in enumerate(writer.pages):
        top = float(page.mediabox.top)
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/Subtype") != "/Widget":
                continue
            chain = [widget]
            parent = widget.get("/Parent")
            while parent is not None and len(chain) < 20:
                chain.append(parent.get_object())
                parent = chain[-1].get("/Parent")
            name = ".".join(str(d["/T"]) for d in reversed(chain) if "/T" in d)
            kind = next((d["/FT"] for d in chain if "/FT" in d), None)
            if not name or kind is None:
                continue
            flags = int(next((d["/Ff"] for d in chain if "/Ff" in d), 0))
            holder = next(d for d in chain if "/T" in d)
            entry = found.setdefault(name, _Field(name, str(kind), flags, holder, page))
            x0, _, _, y1 = (float(v) for v in widget["/Rect"])
            entry.widgets.append(((number, round(top - y1), x0), widget))
    return found


def _set(writer: PdfWriter, form_field: _Field, write: Write) -> None:
    if form_field.kind in ("/Tx", "/Ch"):
        writer.update_page_form_field_values(form_field.page, {form_field.name: write.text},
                                             auto_regenerate=None)
        return
    if form_field.kind != "/Btn" or form_field.flags & _PUSHBUTTON:
        raise _FieldError("a field that takes no value")
    buttons = form_field.buttons()
    if form_field.flags & _RADIO or len(buttons) > 1:
        chosen = set(write.text.split(CHOICE_SEPARATOR))
        states = [option in chosen for option in write.options]
        if len(states) != len(buttons):
            raise _FieldError("the form's buttons do not match the options")
    else:  # a lone checkbox: ticked for Yes
        states = [write.text.strip().lower() == "yes"]
    on_value = NameObject("/Off")
    for button, on in zip(buttons, states, strict=True):
        state = _on_state(button)
        if on and state is None:
            raise _FieldError("a button without an 'on' appearance")
        button[NameObject("/AS")] = NameObject(state if on and state else "/Off")
        if on and state:
            on_value = NameObject(state)
    form_field.value_holder[NameObject("/V")] = on_value


def _on_state(button: DictionaryObject) -> str | None:
    """The name of a button's 'on' appearance: its export value."""
    appearances = button.get("/AP")
    normal = appearances.get_object().get("/N") if appearances is not None else None
    if normal is None:
        return None
    return next((str(key) for key in normal.get_object() if key != "/Off"), None)
