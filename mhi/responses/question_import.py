"""Reading a consultation's questions from what people have: a pasted list, a Word document or a CSV file.

Nothing here writes: each reader returns the questions found (`ParsedQuestion`, in order) or raises
`ImportFailed` listing every problem, each naming its line, paragraph or row, so that the whole list is refused
and nothing is half-imported (mhi.responses.workspace.questions_import writes them, all or none).

- **Pasted text**: one question per line, or numbered items ("1." / "1)" / "Q1" / "Question 1"), where a line
  without a number continues the item above it. Bullets ("-", "*", "•") are dropped.
- **Word (.docx)**: the questions are the numbered paragraphs (Word's own numbering, or a list style), and the
  paragraphs that start "Question 1", "Q1" or "1."; other paragraphs between two questions become the guidance of
  the question above them. A table whose first row names a "Question" column (and optionally "Word limit",
  "Guidance") gives one question per row.
- **CSV (UTF-8, or UTF-8 with a byte-order mark, as Excel saves "CSV UTF-8")**: columns `question`, and optionally
  `word_limit`, `guidance`, `owner` (an email address).

A word limit is a whole number of at least 1. In text it is written at the end of the question: "(250 words)",
"[max 250 words]", "(maximum 250 words)", "(250-word limit)", "(word limit: 250)"; the suffix is taken off the
question's text.
"""

import csv
import io
import re
from dataclasses import dataclass

from mhi.core.errors import ImportFailed, RowProblem

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_QUESTIONS = 200
DOCX_SUFFIXES = (".docx",)
CSV_SUFFIXES = (".csv",)

CSV_COLUMNS = ("question", "word_limit", "guidance", "owner")
_CSV_ALIASES = {
    "question": "question",
    "questions": "question",
    "question_text": "question",
    "text": "question",
    "word_limit": "word_limit",
    "words": "word_limit",
    "limit": "word_limit",
    "max_words": "word_limit",
    "guidance": "guidance",
    "notes": "guidance",
    "owner": "owner",
    "owner_email": "owner",
    "email": "owner",
}

# "1.", "1)", "1:", "Q1", "Q1.", "Q 1:", "Question 1", "Question 1:" at the start of a line or paragraph.
_NUMBERED = re.compile(
    r"^\s*(?:(?:question|q)\s*(?P<qnum>\d{1,3})\b\s*[.):\-–—]?|(?P<num>\d{1,3})\s*[.):])\s*", re.IGNORECASE
)
_BULLET = re.compile(r"^\s*[-*•·‣◦–]\s+")
_NUMBER_WORDS = frozenset(
    [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
    ]
)
# A bracketed word limit at the end of the text.
_LIMIT_SUFFIX = re.compile(r"\s*[(\[](?P<inside>[^()\[\]]{1,60})[)\]]\s*[.:]?\s*$")
_LIMIT_FORMS = [
    # "250 words", "250 words max", "max 250 words", "maximum of 250 words", "up to 250 words", "250-word limit"
    re.compile(
        r"^(?:(?:max(?:imum)?|up to|no more than|limit(?: of)?)\.?\s*(?:of\s+)?)?(?P<n>[^\s].*?)"
        r"[\s-]*words?(?:\s*(?:max(?:imum)?|limit|maximum))?\.?$",
        re.IGNORECASE,
    ),
    # "word limit: 250", "word limit 250", "words: 250", "limit: 250 words"
    re.compile(r"^(?:word\s*limit|words|limit)\s*[:=]?\s*(?P<n>.+?)(?:\s*words?)?$", re.IGNORECASE),
]
_WHOLE = re.compile(r"^\d{1,3}(?:,\d{3})*$|^\d+$")


class ImportProblem(RowProblem):
    """A problem with a question list: where it is (line, paragraph, row and column) and why.

    `str()` reads "questions.csv, row 3, column “word_limit”: “two hundred” is not a whole number",
    "consultation.docx, paragraph 5: ...", "line 2: ..." or, for the whole file, the message alone."""

    def __init__(self, *, message: str, file: str = "", row: int = 0, column: str = "", unit: str = "row"):
        super().__init__(file=file, row=row, column=column, message=message)
        self.unit = unit

    @property
    def where(self) -> str:
        parts = []
        if self.row:
            parts.append(f"{self.unit} {self.row}")
        if self.column:
            parts.append(f"column “{self.column}”")
        return ", ".join(parts)

    def __str__(self) -> str:
        head = ", ".join(p for p in (self.file, self.where) if p)
        return f"{head}: {self.message}" if head else self.message

    def as_dict(self) -> dict:
        return {**super().as_dict(), "unit": self.unit, "text": str(self)}


@dataclass
class ParsedQuestion:
    text: str
    word_limit: int | None = None
    guidance: str = ""
    owner_email: str = ""
    # Where it came from, to name in a problem found later (an owner who has no account, say).
    file: str = ""
    row: int = 0
    unit: str = "row"

    def problem(self, message: str, *, column: str = "") -> ImportProblem:
        return ImportProblem(message=message, file=self.file, row=self.row, column=column, unit=self.unit)


# --- word limits ----------------------------------------------------------------------------------------------


def word_limit_value(value) -> tuple[int | None, str]:
    """(the limit, a problem or ""): "" or None is no limit; otherwise a whole number of at least 1."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None, ""
    if isinstance(value, bool):
        return None, f"“{text}” is not a whole number"
    if isinstance(value, int):
        number = value
    elif _WHOLE.match(text):
        number = int(text.replace(",", ""))
    else:
        return None, f"“{text}” is not a whole number"
    if number < 1:
        return None, f"“{text}” is not a whole number of at least 1"
    if number > 100_000:
        return None, f"“{text}” is more than 100,000 words"
    return number, ""


def _looks_like_a_limit(amount: str) -> bool:
    """The words before "words" in a bracket say an amount: digits, or number words ("two hundred")."""
    words = re.split(r"[\s,-]+", amount.lower().strip())
    if _WHOLE.match(amount.strip()):
        return True
    return bool(words) and all(w in _NUMBER_WORDS or w == "and" for w in words if w)


def split_word_limit(text: str) -> tuple[str, int | None, str]:
    """(the text without its word-limit suffix, the limit, a problem or "")."""
    match = _LIMIT_SUFFIX.search(text)
    if match is None:
        return text.strip(), None, ""
    inside = " ".join(match.group("inside").split())
    for form in _LIMIT_FORMS:
        found = form.match(inside)
        if found is None:
            continue
        amount = found.group("n").strip()
        if not _looks_like_a_limit(amount):
            continue
        limit, problem = word_limit_value(amount)
        return text[: match.start()].strip(), limit, (f"the word limit {problem}" if problem else "")
    return text.strip(), None, ""


def _numbered(line: str) -> tuple[bool, str]:
    """(whether the line starts with a question number, the line without it)."""
    match = _NUMBERED.match(line)
    if match is None:
        return False, line
    rest = line[match.end() :]
    if match.group("num") and not rest.strip():
        # "3." alone: a numbered item with no text.
        return True, ""
    if match.group("num") and rest[:1].isdigit():
        return False, line  # "1.5 million people…": a number, not a question number
    return True, rest


# --- pasted text ----------------------------------------------------------------------------------------------


def parse_pasted(text: str) -> list[ParsedQuestion]:
    """The questions in a pasted list (see the module's docstring); ImportFailed naming each bad line."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered_mode = any(_numbered(line)[0] for line in lines if line.strip())
    # [line number, label as written, text, word limit]; a limit may close any line of an item.
    items: list[list] = []
    problems: list[ImportProblem] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        is_numbered, rest = _numbered(raw)
        if not is_numbered:
            rest = _BULLET.sub("", raw) if not (numbered_mode and items) else raw
        body, limit, problem = split_word_limit(rest.strip())
        if problem:
            problems.append(ImportProblem(message=problem, row=number, unit="line"))
        if is_numbered or not (numbered_mode and items):
            items.append([number, raw.strip(), body, limit])
        else:
            item = items[-1]
            item[2] = f"{item[2]} {body}".strip()
            item[3] = limit if limit is not None else item[3]
    questions = []
    for number, label, body, limit in items:
        if not body:
            if not any(p.row == number for p in problems):
                problems.append(ImportProblem(message=f"“{label}” has no question text", row=number, unit="line"))
        else:
            questions.append(ParsedQuestion(text=body, word_limit=limit, row=number, unit="line"))
    if not items:
        problems.append(ImportProblem(message="There are no questions in the text: write one question a line."))
    _check_count(questions, problems, "The list")
    problems.sort(key=lambda p: p.row)
    if problems:
        raise ImportFailed(problems)
    return questions


def _check_count(questions, problems, what: str) -> None:
    if len(questions) > MAX_QUESTIONS:
        problems.append(
            ImportProblem(
                message=f"{what} has {len(questions)} questions; at most {MAX_QUESTIONS} can be added at once."
            )
        )


# --- Word -----------------------------------------------------------------------------------------------------


def _has_numbering(paragraph) -> bool:
    """Word numbering on the paragraph itself, or from its style (List Number, a custom numbered style)."""
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    style = paragraph.style
    while style is not None:
        style_ppr = getattr(style.element, "pPr", None)
        if style_ppr is not None and style_ppr.numPr is not None:
            return True
        style = style.base_style
    return False


def _style_name(paragraph) -> str:
    try:
        return (paragraph.style.name or "") if paragraph.style is not None else ""
    except (KeyError, AttributeError):  # a style the document names but does not define
        return ""


def _is_list_paragraph(paragraph) -> bool:
    return _has_numbering(paragraph) or _style_name(paragraph).lower().startswith("list")


def _is_heading(paragraph) -> bool:
    name = _style_name(paragraph).lower()
    return name.startswith("heading") or name in {"title", "subtitle"}


def _cell_text(cell) -> str:
    return "\n".join(p.text for p in cell.paragraphs).strip()


def _table_columns(header: list[str]) -> dict[str, int] | None:
    """Column indexes of question / word_limit / guidance / owner, from a header row naming a Question column."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = " ".join(name.lower().replace("_", " ").split())
        if "question" in key and "question" not in columns and "number" not in key and key not in {"no", "#"}:
            columns["question"] = index
        elif ("word" in key or "limit" in key) and "word_limit" not in columns:
            columns["word_limit"] = index
        elif key in {"guidance", "notes", "guidance notes", "help"} and "guidance" not in columns:
            columns["guidance"] = index
        elif key in {"owner", "owner email", "email"} and "owner" not in columns:
            columns["owner"] = index
    return columns if "question" in columns else None


def _table_questions(table, *, file: str, table_number: int, problems: list) -> list[ParsedQuestion] | None:
    rows = list(table.rows)
    if not rows:
        return None
    header = [_cell_text(c) for c in rows[0].cells]
    columns = _table_columns(header)
    if columns is None:
        return None
    names = {key: header[index] for key, index in columns.items()}
    found = []
    for row_number, row in enumerate(rows[1:], start=2):
        cells = [_cell_text(c) for c in row.cells]
        if not any(cells):
            continue

        def cell(key, cells=cells):
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else ""

        unit = f"table {table_number}, row"
        text, suffix_limit, suffix_problem = split_word_limit(cell("question"))
        limit, problem = word_limit_value(cell("word_limit"))
        bad = False
        if problem:
            problems.append(
                ImportProblem(message=problem, file=file, row=row_number, column=names["word_limit"], unit=unit)
            )
            bad = True
        if suffix_problem:
            problems.append(
                ImportProblem(message=suffix_problem, file=file, row=row_number, column=names["question"], unit=unit)
            )
            bad = True
        if not text:
            problems.append(
                ImportProblem(
                    message="the question is empty", file=file, row=row_number, column=names["question"], unit=unit
                )
            )
            bad = True
        if not bad:
            found.append(
                ParsedQuestion(
                    text=text,
                    word_limit=limit if limit is not None else suffix_limit,
                    guidance=cell("guidance"),
                    owner_email=cell("owner"),
                    file=file,
                    row=row_number,
                    unit=unit,
                )
            )
    return found


def parse_docx(content: bytes, *, filename: str = "questions.docx") -> list[ParsedQuestion]:
    """The questions of a Word document (see the module's docstring); ImportFailed naming each bad paragraph."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(content))
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a file that is not a DOCX
        raise ImportFailed(
            [
                ImportProblem(
                    message=f"“{filename}” is not a Word document that can be read: save it from Word as a .docx "
                    f"file and upload it again."
                )
            ]
        ) from exc
    problems: list[ImportProblem] = []
    questions: list[ParsedQuestion] = []
    # Paragraphs first: which are questions?
    paragraphs = [(i, b) for i, b in enumerate((b for b in blocks if isinstance(b, Paragraph)), start=1)]
    candidates = {}
    for number, paragraph in paragraphs:
        text = paragraph.text.strip()
        is_numbered, rest = _numbered(text) if text else (False, "")
        if is_numbered:
            candidates[number] = (text, rest.strip())
        elif _is_list_paragraph(paragraph) and not _is_heading(paragraph):
            candidates[number] = (text or "an empty numbered item", _BULLET.sub("", text).strip())
    table_number = 0
    paragraph_number = 0
    current: ParsedQuestion | None = None
    for block in blocks:
        if isinstance(block, Table):
            table_number += 1
            current = None
            from_table = _table_questions(block, file=filename, table_number=table_number, problems=problems)
            questions.extend(from_table or [])
            continue
        paragraph_number += 1
        text = block.text.strip()
        if paragraph_number in candidates:
            label, body = candidates[paragraph_number]
            body_text, limit, problem = split_word_limit(body)
            if problem:
                problems.append(ImportProblem(message=problem, file=filename, row=paragraph_number, unit="paragraph"))
                current = None
            elif not body_text:
                problems.append(
                    ImportProblem(
                        message=f"“{label}” has no question text",
                        file=filename,
                        row=paragraph_number,
                        unit="paragraph",
                    )
                )
                current = None
            else:
                current = ParsedQuestion(
                    text=body_text, word_limit=limit, file=filename, row=paragraph_number, unit="paragraph"
                )
                questions.append(current)
        elif _is_heading(block):
            current = None
        elif text and current is not None:
            current.guidance = f"{current.guidance}\n\n{text}".strip()
    if not questions and not problems:
        problems.append(
            ImportProblem(
                message=f"“{filename}” has no questions: number them (1. or Word's numbering), start each with "
                f"“Q1” or “Question 1”, or put them in a table with a “Question” column."
            )
        )
    _check_count(questions, problems, f"“{filename}”")
    if problems:
        raise ImportFailed(problems)
    return questions


# --- CSV ------------------------------------------------------------------------------------------------------


def _column_key(name: str) -> str:
    return "_".join((name or "").strip().lower().replace("-", " ").split())


def parse_csv(content: bytes, *, filename: str = "questions.csv") -> list[ParsedQuestion]:
    """The questions of a CSV file (see the module's docstring); ImportFailed naming each bad row and column."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [
                ImportProblem(
                    message=f"“{filename}” is not a UTF-8 CSV file that can be read (byte {exc.start + 1} is not "
                    f"UTF-8): save it as “CSV UTF-8” and upload it again."
                )
            ]
        ) from exc
    if "\x00" in text:
        raise ImportFailed([ImportProblem(message=f"“{filename}” is not a CSV file that can be read.")])
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFailed([ImportProblem(message=f"“{filename}” is not a CSV file that can be read: {exc}.")]) from exc
    header = rows[0] if rows else []
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, name in enumerate(header):
        key = _CSV_ALIASES.get(_column_key(name))
        if key and key not in columns:
            columns[key], names[key] = index, name.strip()
    if "question" not in columns:
        raise ImportFailed(
            [
                ImportProblem(
                    message=f"“{filename}” has no “question” column: its first row should name the columns "
                    f"(question, and optionally word_limit, guidance, owner)."
                )
            ]
        )
    problems: list[ImportProblem] = []
    questions: list[ParsedQuestion] = []
    for row_number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key, cells=cells):
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if len(cells) > len(header):
            problems.append(
                ImportProblem(message="this row has more cells than the header", file=filename, row=row_number)
            )
            continue
        text = cell("question")
        limit, problem = word_limit_value(cell("word_limit"))
        bad = False
        if not text:
            problems.append(
                ImportProblem(message="the question is empty", file=filename, row=row_number, column="question")
            )
            bad = True
        if problem:
            problems.append(
                ImportProblem(message=problem, file=filename, row=row_number, column=names.get("word_limit", ""))
            )
            bad = True
        if not bad:
            questions.append(
                ParsedQuestion(
                    text=text,
                    word_limit=limit,
                    guidance=cell("guidance"),
                    owner_email=cell("owner"),
                    file=filename,
                    row=row_number,
                )
            )
    if not questions and not problems:
        problems.append(ImportProblem(message=f"“{filename}” has no questions: it has a header row and nothing else."))
    _check_count(questions, problems, f"“{filename}”")
    if problems:
        raise ImportFailed(problems)
    return questions


# --- an upload ------------------------------------------------------------------------------------------------


def _size_words(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def parse_upload(*, content: bytes, filename: str) -> list[ParsedQuestion]:
    """A .docx or .csv file's questions, by its name; refused over MAX_UPLOAD_BYTES."""
    name = (filename or "questions").strip()
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportFailed(
            [
                ImportProblem(
                    message=f"“{name}” is {_size_words(len(content))}; files of up to "
                    f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB can be imported."
                )
            ]
        )
    if not content:
        raise ImportFailed([ImportProblem(message=f"“{name}” is empty.")])
    lowered = name.lower()
    if lowered.endswith(DOCX_SUFFIXES):
        return parse_docx(content, filename=name)
    if lowered.endswith(CSV_SUFFIXES):
        return parse_csv(content, filename=name)
    if lowered.endswith(".doc"):
        raise ImportFailed(
            [
                ImportProblem(
                    message=f"“{name}” is not a Word document that can be read: it is in the old .doc format; "
                    f"save it from Word as a .docx file and upload it again."
                )
            ]
        )
    raise ImportFailed([ImportProblem(message=f"“{name}” is neither a Word document (.docx) nor a CSV file (.csv).")])
