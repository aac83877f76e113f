"""Exports of a joint response: DOCX (python-docx), PDF (reportlab), and one answer as Markdown or plain text.

Every DOCX and PDF export starts with a cover page (title, the consultation, the date, the co-signatories and
their institutions), then the introduction and the questions with their answers. It states the revision it came
from and a SHA-256 of the content (`export_hash`), so a submitted copy can be matched to the trail. A response
that is not signed off by every partner (not locked) says DRAFT on every page: in the PDF a watermark drawn on
each page, in the DOCX the page header (which Word repeats on every page) and the cover.

The hash covers what the partners sign: the response's id, revision and title, its signatories, and every
question's number, text, word limit and answer, as canonical JSON (sorted keys, no spacing, UTF-8).
"""

import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone

from mhi.responses.models import Approval, Decision, Response

DRAFT_LABEL = "DRAFT — not signed off by every partner"


def export_hash(response: Response) -> str:
    questions = [
        {"number": q.number, "text": q.text, "word_limit": q.word_limit, "answer": q.answer}
        for q in response.questions.order_by("number")
    ]
    signatories = sorted(response.signatories.values_list("organisation__name", flat=True))
    canonical = {
        "id": response.pk,
        "revision": response.revision,
        "title": response.title,
        "signatories": signatories,
        "questions": questions,
    }
    payload = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Signer:
    institution: str
    signed_by: str  # the institution lead who approved, or "" while awaiting sign-off
    signed_on: datetime.date | None


@dataclass(frozen=True)
class ExportQuestion:
    number: int
    text: str
    word_limit: int | None
    answer: str


@dataclass(frozen=True)
class ExportData:
    response_id: int
    title: str
    kind: str
    consultation: str
    date: datetime.date
    signers: list[Signer]
    introduction: str
    questions: list[ExportQuestion]
    revision: int
    sha256: str
    is_draft: bool

    @property
    def version_line(self) -> str:
        return f"Version r{self.revision} · SHA-256 {self.sha256}"

    @property
    def stem(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60] or "response"
        return f"{slug}-r{self.revision}{'-draft' if self.is_draft else ''}"


def export_data(response: Response) -> ExportData:
    """What every export shows, read once."""
    standing = {
        a.organisation_id: a
        for a in Approval.objects.filter(
            response=response, voided_at__isnull=True, decision=Decision.APPROVED
        ).select_related("decided_by")
    }
    signers = []
    for signatory in response.signatories.select_related("organisation").order_by("organisation__name"):
        approval = standing.get(signatory.organisation_id)
        by = ""
        if approval is not None and approval.decided_by is not None:
            by = approval.decided_by.full_name or approval.decided_by.email
        signers.append(
            Signer(
                institution=signatory.organisation.name,
                signed_by=by,
                signed_on=timezone.localdate(approval.decided_at) if approval is not None else None,
            )
        )
    consultation = ""
    if response.opportunity_id:
        opportunity = response.opportunity
        funder = getattr(opportunity, "funder_name", "") or ""
        consultation = f"{opportunity.title}{f' ({funder})' if funder else ''}"
    when = response.published_at or response.locked_at
    return ExportData(
        response_id=response.pk,
        title=response.title,
        kind=response.get_kind_display(),
        consultation=consultation,
        date=timezone.localdate(when) if when else timezone.localdate(),
        signers=signers,
        introduction=response.introduction,
        questions=[
            ExportQuestion(q.number, q.text, q.word_limit, q.answer) for q in response.questions.order_by("number")
        ],
        revision=response.revision,
        sha256=export_hash(response),
        is_draft=not response.is_locked,
    )


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; single newlines inside a paragraph are kept as line breaks."""
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def _signer_line(signer: Signer) -> str:
    if signer.signed_by:
        return f"{signer.institution}: signed by {signer.signed_by} on {signer.signed_on:%d %B %Y}"
    return f"{signer.institution}: awaiting sign-off"


def _cover_lines(data: ExportData) -> list[tuple[str, str]]:
    """(label, value) lines of the cover, shared by both formats."""
    lines = [("Type", data.kind)]
    if data.consultation:
        lines.append(("In response to", data.consultation))
    lines.append(("Date", f"{data.date:%d %B %Y}"))
    lines.append(("Version", f"r{data.revision} · SHA-256 {data.sha256}"))
    return lines


# --- DOCX ---------------------------------------------------------------------------------------------------


def export_docx(response: Response) -> tuple[bytes, ExportData]:
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt, RGBColor

    data = export_data(response)
    document = Document()
    props = document.core_properties
    props.title = data.title
    props.subject = data.version_line
    props.author = "MHI Hub"
    props.comments = DRAFT_LABEL if data.is_draft else "Signed off by every partner"
    # python-docx stamps the creation time; a fixed one keeps the same response's export byte-stable.
    props.created = props.modified = datetime.datetime(2000, 1, 1)
    props.last_modified_by = "MHI Hub"
    props.revision = data.revision or 1

    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.text = DRAFT_LABEL if data.is_draft else f"{data.title} · signed off"
    if data.is_draft:
        for run in header.runs:
            run.bold = True
            run.font.color.rgb = RGBColor(0xB1, 0x0E, 0x1E)
    footer = section.footer.paragraphs[0]
    footer.text = data.version_line
    for run in footer.runs:
        run.font.size = Pt(8)

    if data.is_draft:
        mark = document.add_paragraph()
        run = mark.add_run("DRAFT")
        run.bold = True
        run.font.size = Pt(28)
        run.font.color.rgb = RGBColor(0xB1, 0x0E, 0x1E)
    document.add_heading(data.title, level=0)
    for label, value in _cover_lines(data):
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    document.add_heading("Co-signatories", level=1)
    if data.signers:
        for signer in data.signers:
            document.add_paragraph(_signer_line(signer), style="List Bullet")
    else:
        document.add_paragraph("No partner institutions are named as signatories.")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    if data.introduction.strip():
        document.add_heading("Introduction", level=1)
        for text in _paragraphs(data.introduction):
            document.add_paragraph(text)
    for question in data.questions:
        document.add_heading(f"Q{question.number}. {question.text}", level=2)
        if question.word_limit:
            limit = document.add_paragraph()
            limit_run = limit.add_run(f"Word limit: {question.word_limit}")
            limit_run.italic = True
        answer = _paragraphs(question.answer)
        if not answer:
            document.add_paragraph("No answer.").runs[0].italic = True
        for text in answer:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), data


# --- PDF ----------------------------------------------------------------------------------------------------

_FONT = None


def _font() -> tuple[str, str]:
    """A Unicode TrueType font (regular, bold): DejaVu Sans where Debian installs it, else the Bitstream Vera
    fonts that reportlab ships."""
    global _FONT
    if _FONT is None:
        import reportlab
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        dejavu = Path("/usr/share/fonts/truetype/dejavu")
        if (dejavu / "DejaVuSans.ttf").exists() and (dejavu / "DejaVuSans-Bold.ttf").exists():
            regular, bold = dejavu / "DejaVuSans.ttf", dejavu / "DejaVuSans-Bold.ttf"
        else:
            fonts = Path(reportlab.__file__).parent / "fonts"
            regular, bold = fonts / "Vera.ttf", fonts / "VeraBd.ttf"
        pdfmetrics.registerFont(TTFont("MHISans", str(regular)))
        pdfmetrics.registerFont(TTFont("MHISans-Bold", str(bold)))
        pdfmetrics.registerFontFamily("MHISans", normal="MHISans", bold="MHISans-Bold")
        _FONT = ("MHISans", "MHISans-Bold")
    return _FONT


def _html(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def export_pdf(response: Response) -> tuple[bytes, ExportData]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    data = export_data(response)
    regular, bold = _font()
    body = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14.5, spaceAfter=6)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12, textColor=colors.HexColor("#505a5f"))
    title = ParagraphStyle("title", parent=body, fontName=bold, fontSize=22, leading=27, spaceAfter=14)
    h1 = ParagraphStyle("h1", parent=body, fontName=bold, fontSize=14, leading=18, spaceBefore=10, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)

    def decorate(canvas, doc):
        canvas.saveState()
        width, height = A4
        if data.is_draft:
            canvas.setFillColor(colors.Color(0.75, 0.1, 0.1, alpha=0.14))
            canvas.setFont(bold, 110)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -35, "DRAFT")
            canvas.rotate(-45)
            canvas.translate(-width / 2, -height / 2)
            canvas.setFillColor(colors.HexColor("#b10e1e"))
            canvas.setFont(bold, 9)
            canvas.drawString(18 * mm, height - 12 * mm, DRAFT_LABEL)
        canvas.setFillColor(colors.HexColor("#505a5f"))
        canvas.setFont(regular, 7.5)
        canvas.drawString(18 * mm, 10 * mm, data.version_line)
        canvas.drawRightString(width - 18 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=data.title,
        subject=data.version_line,
        author="MHI Hub",
        creator="MHI Hub",
        invariant=1,  # no creation time or random id: the same response exports to the same bytes
    )
    story = []
    if data.is_draft:
        story.append(Paragraph("DRAFT", ParagraphStyle("draft", parent=title, textColor=colors.HexColor("#b10e1e"))))
    story.append(Paragraph(_html(data.title), title))
    for label, value in _cover_lines(data):
        story.append(Paragraph(f"<b>{escape(label)}:</b> {_html(value)}", body))
    story.append(Spacer(1, 8))
    story.append(Paragraph("Co-signatories", h1))
    if data.signers:
        for signer in data.signers:
            story.append(Paragraph("• " + _html(_signer_line(signer)), body))
    else:
        story.append(Paragraph("No partner institutions are named as signatories.", body))
    story.append(PageBreak())
    if data.introduction.strip():
        story.append(Paragraph("Introduction", h1))
        story.extend(Paragraph(_html(p), body) for p in _paragraphs(data.introduction))
    for question in data.questions:
        story.append(Paragraph(_html(f"Q{question.number}. {question.text}"), h2))
        if question.word_limit:
            story.append(Paragraph(f"Word limit: {question.word_limit}", small))
        answer = _paragraphs(question.answer)
        if not answer:
            story.append(Paragraph("<i>No answer.</i>", body))
        story.extend(Paragraph(_html(p), body) for p in answer)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue(), data


# --- one answer, for pasting into an online form ------------------------------------------------------------

_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\3(?![\w*])")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_BULLET = re.compile(r"^(\s*)[*+-]\s+", re.M)
_MD_CODE = re.compile(r"`([^`]+)`")


def answer_markdown(question) -> str:
    """The answer as written (answers are written in Markdown), with a final newline."""
    text = question.answer.replace("\r\n", "\n").strip()
    return text + "\n" if text else ""


def answer_plain(question) -> str:
    """The answer as plain text: Markdown emphasis, headings and code marks removed, links as "text (url)",
    bullets as "• "."""
    text = answer_markdown(question)
    text = _MD_LINK.sub(r"\1 (\2)", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_BULLET.sub(r"\1• ", text)
    text = _MD_CODE.sub(r"\1", text)
    previous = None
    while previous != text:  # nested emphasis, e.g. ***word***
        previous = text
        text = _MD_EMPHASIS.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(4), text)
    return text
