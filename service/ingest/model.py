"""What ingest produces: questions, where their answers go, and what was skipped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Format = Literal["xlsx", "docx", "pdf", "csv"]
AnswerType = Literal["yes_no", "choice", "text", "number", "date"]
ANSWER_TYPES: tuple[str, ...] = ("yes_no", "choice", "text", "number", "date")


class IngestError(Exception):
    """A file that cannot be ingested. The message is one line meant for the user."""


@dataclass(frozen=True)
class Location:
    """A place in a source file.

    `kind` says which fields apply:
      cell       sheet + cell ("C12")                     spreadsheets
      row        row + column (1-based)                   CSV
      table      table + row + column (0-based), and      DOCX tables (tables numbered in
                 `control`/`index` for a form control       document order, nested ones too)
      paragraph  paragraph (0-based body paragraph index)  DOCX free text
      page       page (1-based) + box (x0, top, x1, bottom in PDF points)
      field      a fillable PDF form's field by its full name, with the page and box where
                 it shows first
    """

    kind: Literal["cell", "row", "table", "paragraph", "page", "field"]
    sheet: str | None = None
    cell: str | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None
    paragraph: int | None = None
    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    # "checkbox" | "content_control" | "placeholder" when the slot is one; "mark" when the
    # answer is a mark in the column of the chosen option, option i the i-th column from here
    control: str | None = None
    index: int | None = None  # which control of that kind inside the cell or paragraph
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(self).items()
            if v is not None
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        """The inverse of `to_dict`: `Location.from_dict(loc.to_dict()) == loc`."""
        fields = dict(data)
        if fields.get("box") is not None:
            x0, top, x1, bottom = (float(v) for v in fields["box"])
            fields["box"] = (x0, top, x1, bottom)
        return cls(**fields)

    def __str__(self) -> str:
        mark = " (mark)" if self.control == "mark" else ""
        if self.kind == "cell":
            return f"{self.sheet}!{self.cell}{mark}"
        if self.kind == "row":
            return f"row {self.row}, column {self.column}{mark}"
        if self.kind == "table":
            text = f"table {self.table}, row {self.row}, column {self.column}"
        elif self.kind == "paragraph":
            text = f"paragraph {self.paragraph}"
        elif self.kind == "field":
            return f"form field {self.field!r} on page {self.page}"
        else:
            box = ", ".join(f"{v:.0f}" for v in self.box or ())
            return f"page {self.page} [{box}]"
        if self.control:
            text += f" ({self.control} {self.index or 0})"
        return text


@dataclass(frozen=True)
class Question:
    ref: str
    text: str
    section: str
    answer_type: AnswerType
    options: tuple[str, ...]
    question_location: Location
    answer_location: Location
    comment_location: Location | None = None
    existing_answer: str | None = None
    existing_comment: str | None = None
    ref_generated: bool = False  # True when the file printed no ID and `ref` was made up
    answer_formula: bool = False  # the slot holds a formula: report it, never overwrite it

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "text": self.text,
            "section": self.section,
            "answer_type": self.answer_type,
            "options": list(self.options),
            "location": self.answer_location.to_dict(),
            "comment_location": self.comment_location.to_dict() if self.comment_location else None,
            "existing_answer": self.existing_answer,
            "existing_comment": self.existing_comment,
            "question_location": self.question_location.to_dict(),
            "ref_generated": self.ref_generated,
            "answer_formula": self.answer_formula,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """The inverse of `to_dict`: `Question.from_dict(q.to_dict()) == q`."""
        comment = data.get("comment_location")
        return cls(
            ref=data["ref"],
            text=data["text"],
            section=data["section"],
            answer_type=data["answer_type"],
            options=tuple(data["options"]),
            question_location=Location.from_dict(data["question_location"]),
            answer_location=Location.from_dict(data["location"]),
            comment_location=Location.from_dict(comment) if comment is not None else None,
            existing_answer=data.get("existing_answer"),
            existing_comment=data.get("existing_comment"),
            ref_generated=bool(data.get("ref_generated", False)),
            answer_formula=bool(data.get("answer_formula", False)),
        )


@dataclass(frozen=True)
class Skipped:
    location: Location | str  # a Location, or a sheet/part name when a whole part was skipped
    reason: str  # short, stable reason code, e.g. "section_header", "hidden_sheet"
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        location = self.location.to_dict() if isinstance(self.location, Location) else self.location
        return {"location": location, "reason": self.reason, "text": self.text}


@dataclass
class Questionnaire:
    format: Format
    questions: list[Question] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. "macros present, not executed"
    filename: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "format": self.format,
            "notices": list(self.notices),
            "questions": [q.to_dict() for q in self.questions],
            "skipped": [s.to_dict() for s in self.skipped],
        }
