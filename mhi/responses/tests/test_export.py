"""Exports: the DOCX and PDF say which revision they came from and its hash, carry a cover page with the
co-signatories, and say DRAFT on every page until every partner has signed; one answer as Markdown or text."""

import hashlib
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from mhi.accounts.tests.factories import UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.opportunities.tests.factories import OpportunityFactory
from mhi.responses import export
from mhi.responses.models import ResponseEvent
from mhi.responses.tests.factories import (
    AnswerVersionFactory,
    ApprovalFactory,
    QuestionFactory,
    ResponseFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

LONG_ANSWER = "\n\n".join(
    f"Paragraph {n}: the Midlands partnership brings seven universities and the region's NHS trusts together "
    "to recruit patients from diverse communities, share facilities and speak with one voice. " * 4
    for n in range(1, 13)
)


@pytest.fixture
def response():
    aston = OrganisationFactory(name="Aston University", slug="aston")
    leicester = OrganisationFactory(name="University of Leicester", slug="leicester")
    consultation = OpportunityFactory(title="Life sciences vision", funder_name="DHSC", kind="consultation")
    response = ResponseFactory(title="MHI response to the life sciences vision", opportunity=consultation)
    response.introduction = "Midlands Health Innovation is a partnership of seven universities."
    response.save()
    SignatoryFactory(response=response, organisation=aston)
    SignatoryFactory(response=response, organisation=leicester)
    q1 = QuestionFactory(response=response, number=1, text="What should the vision prioritise?", word_limit=250)
    q2 = QuestionFactory(response=response, number=2, text="How can trials recruit faster?", word_limit=None)
    AnswerVersionFactory(question=q1, text="Regional **data** sharing.\n\nAnd [NIHR](https://nihr.ac.uk) capacity.")
    AnswerVersionFactory(question=q2, text=LONG_ANSWER)
    response.refresh_from_db()
    return response


def _lock(response, signer_names=("Ada Lead", "Ben Lead")):
    for signatory, name in zip(response.signatories.order_by("organisation__name"), signer_names, strict=True):
        ApprovalFactory(
            response=response,
            organisation=signatory.organisation,
            revision=response.revision,
            decided_by=UserFactory(full_name=name),
        )
    response.status = "locked"
    response.locked_at = timezone.now()
    response.save()


def test_the_hash_is_the_sha256_of_the_canonical_json_of_what_partners_sign(response):
    canonical = {
        "id": response.pk,
        "revision": 2,
        "title": "MHI response to the life sciences vision",
        "signatories": ["Aston University", "University of Leicester"],
        "questions": [
            {
                "number": 1,
                "text": "What should the vision prioritise?",
                "word_limit": 250,
                "answer": "Regional **data** sharing.\n\nAnd [NIHR](https://nihr.ac.uk) capacity.",
            },
            {"number": 2, "text": "How can trials recruit faster?", "word_limit": None, "answer": LONG_ANSWER},
        ],
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    assert response.revision == 2
    assert export.export_hash(response) == hashlib.sha256(payload).hexdigest()


def test_the_hash_changes_with_an_answer_and_not_otherwise(response):
    before = export.export_hash(response)
    assert export.export_hash(response) == before
    response.questions.filter(number=1).update(answer="Something else.")

    assert export.export_hash(response) != before


def test_a_draft_docx_says_draft_in_every_page_header_and_on_the_cover(response):
    content, data = export.export_docx(response)
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]

    assert data.is_draft is True
    assert [s.header.paragraphs[0].text for s in document.sections] == ["DRAFT — not signed off by every partner"]
    assert [s.footer.paragraphs[0].text for s in document.sections] == [f"Version r2 · SHA-256 {data.sha256}"]
    assert texts[:8] == [
        "DRAFT",
        "MHI response to the life sciences vision",
        "Type: Consultation response",
        "In response to: Life sciences vision (DHSC)",
        f"Date: {timezone.localdate():%d %B %Y}",
        f"Version: r2 · SHA-256 {data.sha256}",
        "Co-signatories",
        "Aston University: awaiting sign-off",
    ]
    assert texts[8] == "University of Leicester: awaiting sign-off"
    assert "w:br" in document.paragraphs[9]._p.xml and 'w:type="page"' in document.paragraphs[9]._p.xml
    assert texts[10:16] == [
        "Introduction",
        "Midlands Health Innovation is a partnership of seven universities.",
        "Q1. What should the vision prioritise?",
        "Word limit: 250",
        "Regional **data** sharing.",
        "And [NIHR](https://nihr.ac.uk) capacity.",
    ]
    assert texts[16] == "Q2. How can trials recruit faster?"
    assert len(texts) == 17 + 12  # twelve paragraphs of the long answer
    assert document.core_properties.subject == f"Version r2 · SHA-256 {data.sha256}"


def test_a_signed_off_docx_names_who_signed_and_has_no_draft_mark(response):
    _lock(response)
    content, data = export.export_docx(response)
    document = Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]

    assert data.is_draft is False
    assert document.sections[0].header.paragraphs[0].text == "MHI response to the life sciences vision · signed off"
    assert "DRAFT" not in texts
    today = timezone.localdate()
    assert f"Aston University: signed by Ada Lead on {today:%d %B %Y}" in texts
    assert f"University of Leicester: signed by Ben Lead on {today:%d %B %Y}" in texts
    assert texts[3] == f"Date: {today:%d %B %Y}"


def _pdf_pages(content: bytes) -> list[str]:
    """Each page's text with line breaks as spaces (the PDF wraps long lines)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_a_draft_pdf_has_a_cover_page_and_draft_on_every_page(response):
    content, data = export.export_pdf(response)
    pages = _pdf_pages(content)

    assert len(pages) >= 3  # the cover, then the long answer runs over more than one page
    for number, text in enumerate(pages, start=1):
        assert "DRAFT — not signed off by every partner" in text, f"page {number}"
        assert f"Version r2 · SHA-256 {data.sha256}" in text, f"page {number}"
        assert f"Page {number}" in text
    cover = pages[0]
    assert "MHI response to the life sciences vision" in cover
    assert "In response to: Life sciences vision (DHSC)" in cover
    assert "Co-signatories" in cover
    assert "Aston University: awaiting sign-off" in cover
    assert "Q1." not in cover
    assert "Q1. What should the vision prioritise?" in pages[1]
    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.title == "MHI response to the life sciences vision"
    assert reader.metadata.subject == f"Version r2 · SHA-256 {data.sha256}"


def test_a_signed_off_pdf_has_no_draft_mark_and_is_the_same_bytes_each_time(response):
    _lock(response)
    content, data = export.export_pdf(response)
    pages = _pdf_pages(content)

    assert not any("DRAFT" in text for text in pages)
    assert "Aston University: signed by Ada Lead on" in pages[0]
    assert export.export_pdf(response)[0] == content


def test_the_answer_as_markdown_and_as_plain_text(response):
    q1 = response.questions.get(number=1)
    q1.answer = (
        "## Summary\n\n**Regional** data, *shared* and `open`.\n\n- one\n- two\n\nSee [NIHR](https://nihr.ac.uk)."
    )

    assert export.answer_markdown(q1) == q1.answer + "\n"
    assert export.answer_plain(q1) == (
        "Summary\n\nRegional data, shared and open.\n\n• one\n• two\n\nSee NIHR (https://nihr.ac.uk).\n"
    )


def test_the_export_pages_send_files_that_say_their_version_and_record_the_export(client, response):
    client.force_login(response.coordinator)

    docx = client.get(reverse("responses:export_docx", args=[response.pk]))
    pdf = client.get(reverse("responses:export_pdf", args=[response.pk]))

    digest = export.export_hash(response)
    assert docx.status_code == 200
    assert docx["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert (
        docx["Content-Disposition"] == 'attachment; filename="mhi-response-to-the-life-sciences-vision-r2-draft.docx"'
    )
    assert (docx["X-MHI-Revision"], docx["X-MHI-SHA256"]) == ("2", digest)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert list(ResponseEvent.objects.filter(response=response).values_list("kind", "summary")) == [
        ("exported", "Exported as DOCX (r2, draft)"),
        ("exported", "Exported as PDF (r2, draft)"),
    ]


def test_the_answer_text_page(client, response):
    client.force_login(response.coordinator)
    q1 = response.questions.get(number=1)

    md = client.get(reverse("responses:answer_text", args=[q1.pk, "md"]))
    txt = client.get(reverse("responses:answer_text", args=[q1.pk, "txt"]))
    other = client.get(reverse("responses:answer_text", args=[q1.pk, "html"]))

    assert (md.status_code, md["Content-Type"]) == (200, "text/markdown; charset=utf-8")
    assert md.content.decode() == "Regional **data** sharing.\n\nAnd [NIHR](https://nihr.ac.uk) capacity.\n"
    assert txt.content.decode() == "Regional data sharing.\n\nAnd NIHR (https://nihr.ac.uk) capacity.\n"
    assert other.status_code == 404


def test_a_draft_does_not_exist_for_outsiders_and_a_published_response_exports_for_everyone(client, response):
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(reverse("responses:export_pdf", args=[response.pk])).status_code == 404

    _lock(response)
    response.status = "published"
    response.published_at = timezone.now()
    response.save()
    client.logout()
    published = client.get(reverse("responses:export_pdf", args=[response.pk]))

    assert published.status_code == 200
    assert not ResponseEvent.objects.filter(kind="exported").exists()  # anonymous downloads are not in the trail


def test_the_api_exports_and_gives_an_answer_as_text(client, response):
    client.force_login(response.coordinator)
    q1 = response.questions.get(number=1)

    pdf = client.get(f"/api/v1/responses/{response.pk}/export?format=pdf")
    bad = client.get(f"/api/v1/responses/{response.pk}/export?format=odt")
    text = client.get(f"/api/v1/response-questions/{q1.pk}/answer?format=txt")

    assert pdf.status_code == 200 and pdf["X-MHI-SHA256"] == export.export_hash(response)
    assert bad.status_code == 422
    assert list(ResponseEvent.objects.filter(response=response).values_list("summary", flat=True)) == [
        "Exported as PDF (r2, draft)"
    ]
    assert text.json() == {
        "question_id": q1.pk,
        "number": 1,
        "format": "txt",
        "text": "Regional data sharing.\n\nAnd NIHR (https://nihr.ac.uk) capacity.\n",
        "revision": 2,
    }


def test_the_public_page_offers_the_signed_exports(client, response):
    _lock(response)
    response.status = "published"
    response.published_at = timezone.now()
    response.save()

    page = client.get(reverse("responses:public", args=[response.pk])).content.decode()

    assert f'href="{reverse("responses:export_pdf", args=[response.pk])}">PDF</a>' in page
    assert f'href="{reverse("responses:export_docx", args=[response.pk])}">Word (DOCX)</a>' in page
