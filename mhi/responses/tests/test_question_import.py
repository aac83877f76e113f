"""Questions from a pasted list, a Word document or a CSV file: what is read, and every bad input refused with
the reason, nothing written."""

import io

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from mhi.core.errors import ImportFailed
from mhi.responses import question_import, workspace
from mhi.responses.models import Question, Response, ResponseEvent
from mhi.responses.question_import import parse_csv, parse_docx, parse_pasted, split_word_limit
from mhi.responses.tests.factories import QuestionFactory, ResponseFactory, SignatoryFactory


def _refused(call, *args, **kwargs) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        call(*args, **kwargs)
    return [str(p) for p in caught.value.problems]


# --- word limits ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What should change? (250 words)", ("What should change?", 250, "")),
        ("What should change? [max 250 words]", ("What should change?", 250, "")),
        ("What should change? (maximum 500 words)", ("What should change?", 500, "")),
        ("What should change? (250-word limit)", ("What should change?", 250, "")),
        ("What should change? (word limit: 300)", ("What should change?", 300, "")),
        ("What should change? (1,000 words)", ("What should change?", 1000, "")),
        ("What should change? (up to 150 words).", ("What should change?", 150, "")),
        ("Describe it (in your own words)", ("Describe it (in your own words)", None, "")),
        ("What should change?", ("What should change?", None, "")),
        ("What? (two hundred words)", ("What?", None, "the word limit “two hundred” is not a whole number")),
        ("What? (0 words)", ("What?", None, "the word limit “0” is not a whole number of at least 1")),
    ],
)
def test_word_limit_suffixes(text, expected):
    assert split_word_limit(text) == expected


# --- pasted lists ---------------------------------------------------------------------------------------------


def _plain(questions):
    return [(q.text, q.word_limit, q.row) for q in questions]


def test_one_question_a_line_with_bullets_dropped():
    text = "What works well today?\n\n- What should change? (250 words)\n• Who should lead it? [max 100 words]\n"
    assert _plain(parse_pasted(text)) == [
        ("What works well today?", None, 1),
        ("What should change?", 250, 3),
        ("Who should lead it?", 100, 4),
    ]


def test_numbered_items_in_every_style_and_continuation_lines():
    text = (
        "1. How long does study set-up take\n"
        "in your trusts? (300 words)\n"
        "2) What slows recruitment?\n"
        "Q3 Which digital tools help? [max 200 words]\n"
        "Q4: What workforce is needed?\n"
        "Question 5 - How should data be used?\n"
        "6: Anything else?"
    )
    assert _plain(parse_pasted(text)) == [
        ("How long does study set-up take in your trusts?", 300, 1),
        ("What slows recruitment?", None, 3),
        ("Which digital tools help?", 200, 4),
        ("What workforce is needed?", None, 5),
        ("How should data be used?", None, 6),
        ("Anything else?", None, 7),
    ]


def test_a_number_inside_a_sentence_is_not_a_question_number():
    text = "1. How would you spend it?\n1.5 million people live in the region; say how they benefit."
    assert _plain(parse_pasted(text)) == [
        ("How would you spend it? 1.5 million people live in the region; say how they benefit.", None, 1)
    ]


def test_pasted_problems_name_the_line():
    assert _refused(parse_pasted, "1. First\n2.\n3. Third (two hundred words)") == [
        "line 2: “2.” has no question text",
        "line 3: the word limit “two hundred” is not a whole number",
    ]
    assert _refused(parse_pasted, "  \n ") == ["There are no questions in the text: write one question a line."]


def test_too_many_pasted_questions_are_refused():
    text = "\n".join(f"Question number {n}?" for n in range(1, 202))
    assert _refused(parse_pasted, text) == ["The list has 201 questions; at most 200 can be added at once."]


# --- Word -----------------------------------------------------------------------------------------------------


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _numbered(paragraph):
    """Give the paragraph Word's own numbering (w:numPr), as Word's numbering button does."""
    ppr = paragraph._p.get_or_add_pPr()
    num_pr = OxmlElement("w:numPr")
    ilvl, num_id = OxmlElement("w:ilvl"), OxmlElement("w:numId")
    ilvl.set(qn("w:val"), "0")
    num_id.set(qn("w:val"), "1")
    num_pr.append(ilvl)
    num_pr.append(num_id)
    ppr.append(num_pr)
    return paragraph


def _plain_docx(questions):
    return [(q.text, q.word_limit, q.guidance, q.row) for q in questions]


def test_docx_numbered_and_list_paragraphs_with_guidance():
    def build(d):
        d.add_heading("Consultation on clinical research delivery", level=1)
        d.add_paragraph("Please answer the questions below.")
        _numbered(d.add_paragraph("How long does study set-up take? (300 words)"))
        d.add_paragraph("Give figures for your trusts if you can.")
        d.add_paragraph("What slows recruitment?", style="List Number")
        d.add_paragraph("Which digital tools help? [max 150 words]", style="List Bullet")
        d.add_heading("Closing", level=2)
        d.add_paragraph("Thank you for responding.")

    assert _plain_docx(parse_docx(_docx(build), filename="consultation.docx")) == [
        ("How long does study set-up take?", 300, "Give figures for your trusts if you can.", 3),
        ("What slows recruitment?", None, "", 5),
        ("Which digital tools help?", 150, "", 6),
    ]


def test_docx_question_labels():
    def build(d):
        d.add_paragraph("Introduction to the consultation.")
        d.add_paragraph("Q1 What works well? (200 words)")
        d.add_paragraph("Question 2: What should change?")
        d.add_paragraph("3. Who should lead it?")
        d.add_paragraph("3) is not a label when the text says 1.5 million.")

    assert _plain_docx(parse_docx(_docx(build))) == [
        ("What works well?", 200, "", 2),
        ("What should change?", None, "", 3),
        ("Who should lead it?", None, "", 4),
        ("is not a label when the text says 1.5 million.", None, "", 5),
    ]


def test_docx_table_of_questions():
    def build(d):
        d.add_paragraph("The questions are in the table.")
        table = d.add_table(rows=4, cols=3)
        for row, cells in zip(
            table.rows,
            [
                ("Question", "Word limit", "Guidance"),
                ("How can the region share facilities?", "250", "Name the facilities."),
                ("What training do staff need?", "", ""),
                ("", "", ""),
            ],
            strict=True,
        ):
            for cell, value in zip(row.cells, cells, strict=True):
                cell.text = value

    assert [(q.text, q.word_limit, q.guidance) for q in parse_docx(_docx(build))] == [
        ("How can the region share facilities?", 250, "Name the facilities."),
        ("What training do staff need?", None, ""),
    ]


def test_docx_problems_name_the_paragraph_and_the_table_row():
    def build(d):
        d.add_paragraph("Q1 What works well?")
        d.add_paragraph("Q2")
        _numbered(d.add_paragraph(""))
        table = d.add_table(rows=3, cols=2)
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Question", "Word limit"
        table.rows[1].cells[0].text, table.rows[1].cells[1].text = "What else?", "two hundred"
        table.rows[2].cells[0].text, table.rows[2].cells[1].text = "", "100"

    assert _refused(parse_docx, _docx(build), filename="consultation.docx") == [
        "consultation.docx, paragraph 2: “Q2” has no question text",
        "consultation.docx, paragraph 3: “an empty numbered item” has no question text",
        "consultation.docx, table 1, row 2, column “Word limit”: “two hundred” is not a whole number",
        "consultation.docx, table 1, row 3, column “Question”: the question is empty",
    ]


def test_an_unreadable_or_empty_word_file_is_refused():
    assert _refused(parse_docx, b"PK\x03\x04 not really a zip", filename="broken.docx") == [
        "“broken.docx” is not a Word document that can be read: save it from Word as a .docx file and upload it again."
    ]
    no_questions = _docx(lambda d: d.add_paragraph("Just an introduction."))
    assert _refused(parse_docx, no_questions, filename="intro.docx") == [
        "“intro.docx” has no questions: number them (1. or Word's numbering), start each with “Q1” or "
        "“Question 1”, or put them in a table with a “Question” column."
    ]


# --- CSV ------------------------------------------------------------------------------------------------------


def test_csv_with_every_column_and_a_byte_order_mark():
    content = (
        "\ufeffquestion,word_limit,guidance,owner\n"
        "How long does set-up take?,300,Give figures,lead@example.org\n"
        "\n"
        "What slows recruitment?,,,\n"
    ).encode()
    assert [(q.text, q.word_limit, q.guidance, q.owner_email, q.row) for q in parse_csv(content)] == [
        ("How long does set-up take?", 300, "Give figures", "lead@example.org", 2),
        ("What slows recruitment?", None, "", "", 4),
    ]


def test_csv_headers_are_matched_loosely():
    content = b"Question,Word limit\r\nWhat works?,100\r\n"
    assert [(q.text, q.word_limit) for q in parse_csv(content, filename="q.csv")] == [("What works?", 100)]


def test_csv_problems_name_the_row_and_column():
    content = b"question,word_limit\nFirst?,100\nSecond?,two hundred\n,50\nFourth?,0\n"
    assert _refused(parse_csv, content, filename="questions.csv") == [
        "questions.csv, row 3, column “word_limit”: “two hundred” is not a whole number",
        "questions.csv, row 4, column “question”: the question is empty",
        "questions.csv, row 5, column “word_limit”: “0” is not a whole number of at least 1",
    ]


def test_csv_that_cannot_be_read_is_refused():
    assert _refused(parse_csv, "question\nQu’est-ce?\n".encode("cp1252"), filename="win.csv") == [
        "“win.csv” is not a UTF-8 CSV file that can be read (byte 12 is not UTF-8): save it as “CSV UTF-8” and "
        "upload it again."
    ]
    assert _refused(parse_csv, b"text_of_it,limit_words\nWhat?,1\n", filename="cols.csv") == [
        "“cols.csv” has no “question” column: its first row should name the columns (question, and optionally "
        "word_limit, guidance, owner)."
    ]


def test_uploads_are_chosen_by_name_and_limited_in_size():
    assert _refused(question_import.parse_upload, content=b"%PDF-1.4", filename="q.pdf") == [
        "“q.pdf” is neither a Word document (.docx) nor a CSV file (.csv)."
    ]
    assert _refused(question_import.parse_upload, content=b"x" * (5 * 1024 * 1024 + 1), filename="big.csv") == [
        "“big.csv” is 5.0 MB; files of up to 5 MB can be imported."
    ]
    assert _refused(question_import.parse_upload, content=b"\xd0\xcf\x11\xe0", filename="old.doc") == [
        "“old.doc” is not a Word document that can be read: it is in the old .doc format; save it from Word as a "
        ".docx file and upload it again."
    ]


# --- importing into a response: all or nothing -----------------------------------------------------------------


@pytest.fixture
def response(db):
    from mhi.accounts.models import Role
    from mhi.accounts.tests.factories import MembershipFactory, UserFactory

    coordinator = UserFactory(email="coordinator@example.org")
    MembershipFactory(user=coordinator, role=Role.COORDINATOR, organisation=None)
    response = ResponseFactory(coordinator=coordinator)
    signatory = SignatoryFactory(response=response)
    lead = UserFactory(email="lead@example.org")
    MembershipFactory(user=lead, role=Role.INSTITUTION_LEAD, organisation=signatory.organisation)
    QuestionFactory(response=response, number=1, text="An existing question?")
    return response


def test_import_appends_after_the_existing_questions_with_owners(response):
    content = b"question,word_limit,owner\nSecond?,200,lead@example.org\nThird?,,\n"
    created = workspace.questions_import(
        user=response.coordinator, response=response, content=content, filename="more.csv"
    )
    assert [(q.number, q.text, q.word_limit, q.owner.email if q.owner else None) for q in created] == [
        (2, "Second?", 200, "lead@example.org"),
        (3, "Third?", None, None),
    ]
    assert list(response.questions.values_list("number", flat=True)) == [1, 2, 3]
    assert ResponseEvent.objects.filter(response=response, kind="questions_imported").get().summary == (
        "Added 2 questions (Q2–Q3) from more.csv"
    )
    assert Response.objects.get(pk=response.pk).revision == 1


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("broken.docx", b"not a zip", "“broken.docx” is not a Word document that can be read"),
        ("q.csv", b"question,word_limit\nOne?,100\n,100\n", "q.csv, row 3, column “question”: the question is empty"),
        (
            "q.csv",
            b"question,word_limit\nOne?,100\nTwo?,lots\n",
            "q.csv, row 3, column “word_limit”: “lots” is not a whole number",
        ),
        (
            "q.csv",
            b"question,owner\nOne?,nobody@example.org\n",
            "q.csv, row 2, column “owner”: Nobody with the address “nobody@example.org” has an account",
        ),
    ],
)
def test_a_bad_import_writes_nothing(response, filename, content, message):
    with pytest.raises(ImportFailed) as caught:
        workspace.questions_import(user=response.coordinator, response=response, content=content, filename=filename)
    assert caught.value.message.startswith(message)
    assert Question.objects.filter(response=response).count() == 1
    assert ResponseEvent.objects.filter(response=response).count() == 0
    assert Response.objects.get(pk=response.pk).revision == 0


def test_an_owner_who_is_not_a_contributor_is_refused_by_row(response):
    from mhi.accounts.tests.factories import UserFactory

    UserFactory(email="stranger@example.org")
    with pytest.raises(ImportFailed) as caught:
        workspace.questions_import(
            user=response.coordinator,
            response=response,
            content=b"question,owner\nOne?,stranger@example.org\n",
            filename="q.csv",
        )
    assert str(caught.value.problems[0]) == (
        "q.csv, row 2, column “owner”: stranger@example.org cannot own a question: owners are the response's "
        "coordinator or members of its signatory institutions"
    )
    assert Question.objects.filter(response=response).count() == 1
