"""Demo joint responses for `mhi demo`: a response in drafting to the demo consultation ("the future of clinical
research delivery") and a published position statement, both signed by the seven partner universities.

The workspaces are made with the workspace services (mhi.responses.workspace); the answers, contributions,
comments and sign-off decisions, which belong to other areas, are written with the models, keeping each
question's current answer and the response's revision in step as the drafting service does.

The texts are real where they state facts: the evidence sentences are adapted from REF2014 impact case studies
(CC BY 4.0; data/demo/ref2014_impact_cases.csv, see data/demo/SOURCES.md): University of Leicester 35205
(structured education for type 2 diabetes, DESMOND), University of Nottingham 40998 (bowel cancer screening
trial) and University of Birmingham 38795 (anticoagulation for atrial fibrillation in primary care). The
consultation, its questions and the partnership's positions are made up for the demo and say so.

Idempotent: a response already there (by title) is left as it is.
"""

from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from mhi.accounts.models import User
from mhi.responses import trail, workspace
from mhi.responses.models import (
    AnswerVersion,
    Approval,
    Comment,
    Contribution,
    ContributionVersion,
    Decision,
    Question,
    Response,
    ResponseStatus,
)

DEMO_DOMAIN = "demo.example.org"
CONSULTATION_TITLE = "Demo consultation: the future of clinical research delivery"
DRAFT_TITLE = "MHI response: the future of clinical research delivery (demo)"
POSITION_TITLE = "MHI position statement: research that reaches every community in the Midlands (demo)"

DEMO_NOTE = "Demo: a made-up response to a made-up consultation, for the MHI Hub demo."

# (text, word limit, guidance, owner's email, answer or "")
DRAFT_QUESTIONS = [
    (
        "How long does it take to set up a study in your region's NHS sites, and what would shorten it?",
        300,
        "Give figures where partners have them.",
        f"lead.leicester@{DEMO_DOMAIN}",
        "Set-up is slowest where each trust repeats the same checks. The Midlands partnership proposes one shared "
        "set of capability and capacity checks, accepted by every partner trust, and a regional register of "
        "research-ready sites so that a sponsor sees within a week where a study can open.",
    ),
    (
        "What stops studies from recruiting to time and target, and what has worked?",
        400,
        "Examples from partners' own studies are the strongest evidence.",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        "Studies recruit when they reach people where they already are. The Nottingham Bowel Cancer Screening "
        "trial showed that biennial faecal occult blood testing reduced bowel cancer mortality by 16%, and the "
        "national programme built on it has sent almost 18 million invitations. Leicester's structured education "
        "programmes for type 2 diabetes, such as DESMOND, are run in over half of all clinical commissioning "
        "groups. Both show that research designed with primary care and delivered in the community reaches far "
        "more people than hospital clinics alone.",
    ),
    (
        "How should research be delivered in primary care and the community?",
        250,
        "",
        f"admin.aston@{DEMO_DOMAIN}",
        "Primary care research at the University of Birmingham led to the transfer of oral anticoagulation "
        "services for atrial fibrillation from secondary to primary care, and then to patient self-management. "
        "The partnership asks that research delivery funding follow the patient into general practice and "
        "community pharmacy, with research-active practices in every integrated care system.",
    ),
    (
        "Which digital tools would help find eligible participants, and what safeguards do they need?",
        300,
        "",
        f"coordinator@{DEMO_DOMAIN}",
        "",
    ),
]

# (question number, institution's UKPRN, kind, author's email, text)
DRAFT_CONTRIBUTIONS = [
    (
        2,
        "10007796",
        "evidence",
        f"lead.leicester@{DEMO_DOMAIN}",
        "Leicester's Diabetes Research Centre has developed, evaluated and implemented structured education "
        "programmes since 2008; around 4 million people in the UK have been diagnosed with diabetes, and their "
        "treatment accounts for 10% (£10 billion) of NHS expenditure.",
    ),
    (
        2,
        "10007154",
        "draft",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        "Since 2008 the screening programme has detected 16,000 bowel cancers, 21.6% of them early cancers with a "
        "95% chance of cure. We suggest leading the answer with this: research embedded in a national programme.",
    ),
    (
        4,
        "10007154",
        "draft",
        f"researcher.nottingham@{DEMO_DOMAIN}",
        "Searches of GP records for eligible patients should run inside the NHS, with only the invitation leaving "
        "the practice.",
    ),
]

# (question number, author's email, text, replies: [(author's email, text)])
DRAFT_COMMENTS = [
    (
        1,
        f"lead.leicester@{DEMO_DOMAIN}",
        "Can we give the median set-up time across the partner trusts? We have Leicester's.",
        [(f"coordinator@{DEMO_DOMAIN}", "Yes: I have asked each trust's R&D office for theirs.")],
    ),
    (
        2,
        f"researcher.nottingham@{DEMO_DOMAIN}",
        "The answer is well under its 400 words: there is room for a recruitment example from Keele or Warwick.",
        [],
    ),
]

POSITION_INTRODUCTION = (
    "The seven universities of the Midlands Health Innovation partnership state together how research should "
    "reach every community in the region. (Demo: a made-up statement for the MHI Hub demo; its evidence is from "
    "REF2014 impact case studies.)"
)
POSITION_QUESTIONS = [
    (
        "What does the partnership commit to?",
        200,
        "To design studies with primary care and the communities they serve from the start, so that who takes "
        "part in research reflects who lives in the Midlands, and to share the sites, staff and equipment that "
        "make this possible across all seven universities.",
    ),
    (
        "What is the evidence that this works?",
        250,
        "Leicester's structured education programmes for type 2 diabetes are run in over half of all clinical "
        "commissioning groups. The Nottingham Bowel Cancer Screening trial led to a national programme that is "
        "estimated to save around 3,500 lives each year in the UK. Birmingham's primary care research moved "
        "anticoagulation for atrial fibrillation from hospital clinics to general practice and then to patient "
        "self-management.",
    ),
]


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


def _answer(*, question: Question, text: str, author, note: str = "") -> AnswerVersion:
    """Save an answer as the drafting service does: a new version, the question's copy and the revision."""
    revision = trail.revision_bump(response=question.response)
    number = question.answer_version + 1
    version = AnswerVersion.objects.create(
        question=question, number=number, text=text, author=author, note=note, response_revision=revision
    )
    Question.objects.filter(pk=question.pk).update(answer=text, answer_version=F("answer_version") + 1)
    question.answer, question.answer_version = text, number
    trail.event_record(
        response=question.response,
        kind="answer_saved",
        actor=author,
        summary=f"Saved version {number} of Q{question.number}'s answer",
        question=question.pk,
        version=number,
    )
    return version


def _consultation():
    from mhi.opportunities.models import Opportunity

    return Opportunity.objects.filter(title=CONSULTATION_TITLE, kind="consultation").first()


def _draft(coordinator) -> Response:
    from mhi.directory.models import Organisation

    partners = list(workspace.partner_institutions())
    response = workspace.response_create(
        user=coordinator,
        title=DRAFT_TITLE,
        opportunity=_consultation(),
        introduction=DEMO_NOTE,
        signatories=partners,
    )
    Response.objects.filter(pk=response.pk).update(is_demo=True)
    response.is_demo = True
    questions = []
    for text, limit, guidance, owner_email, _answer_text in DRAFT_QUESTIONS:
        questions.append(
            workspace.question_add(
                user=coordinator,
                response=response,
                text=text,
                word_limit=limit,
                guidance=guidance,
                owner=_user(owner_email),
            )
        )
    for question, (*_, owner_email, answer_text) in zip(questions, DRAFT_QUESTIONS, strict=True):
        if answer_text:
            question.response = response
            _answer(question=question, text=answer_text, author=_user(owner_email) or coordinator)
    by_number = {q.number: q for q in questions}
    for number, ukprn, kind, email, text in DRAFT_CONTRIBUTIONS:
        organisation = Organisation.objects.get(reference_key=f"university:{ukprn}")
        author = _user(email)
        contribution = Contribution.objects.create(
            question=by_number[number], organisation=organisation, kind=kind, text=text, author=author
        )
        ContributionVersion.objects.create(contribution=contribution, number=1, text=text, author=author)
        trail.event_record(
            response=response,
            kind="contribution_added",
            actor=author,
            summary=f"{organisation.name} added {contribution.get_kind_display().lower()} to Q{number}",
            question=by_number[number].pk,
            contribution=contribution.pk,
        )
    for number, email, text, replies in DRAFT_COMMENTS:
        comment = Comment.objects.create(question=by_number[number], author=_user(email), text=text)
        for reply_email, reply_text in replies:
            Comment.objects.create(
                question=by_number[number], parent=comment, author=_user(reply_email), text=reply_text
            )
    return response


def _position(coordinator) -> Response:
    from mhi.accounts.models import Role

    partners = list(workspace.partner_institutions())
    response = workspace.response_create(
        user=coordinator,
        title=POSITION_TITLE,
        kind="position",
        introduction=POSITION_INTRODUCTION,
        signatories=partners,
    )
    for text, limit, answer_text in POSITION_QUESTIONS:
        question = workspace.question_add(user=coordinator, response=response, text=text, word_limit=limit)
        question.response = response
        _answer(question=question, text=answer_text, author=coordinator)
    response.refresh_from_db()
    now = timezone.now()
    Response.objects.filter(pk=response.pk).update(status=ResponseStatus.SIGN_OFF, final_revision=response.revision)
    trail.event_record(
        response=response,
        kind="marked_final",
        actor=coordinator,
        summary=f"Marked revision {response.revision} final and asked each partner to sign off",
        revision=response.revision,
    )
    for organisation in partners:
        lead = (
            User.objects.filter(memberships__organisation=organisation, memberships__role=Role.INSTITUTION_LEAD)
            .order_by("pk")
            .first()
        )
        Approval.objects.create(
            response=response,
            organisation=organisation,
            decision=Decision.APPROVED,
            revision=response.revision,
            decided_by=lead,
            comment="",
        )
        trail.event_record(
            response=response,
            kind="decision",
            actor=lead,
            summary=f"{organisation.name} approved revision {response.revision}",
            organisation=organisation.slug,
            decision=Decision.APPROVED,
            revision=response.revision,
        )
    Response.objects.filter(pk=response.pk).update(
        status=ResponseStatus.PUBLISHED, locked_at=now, published_at=now, is_demo=True
    )
    trail.event_record(
        response=response, kind="locked", actor=None, summary="Every partner approved: the response is locked"
    )
    trail.event_record(response=response, kind="published", actor=coordinator, summary="Published on the public page")
    response.refresh_from_db()
    return response


def demo_responses_load() -> int:
    """Create the demo responses not there yet; returns how many were created. Needs the demo accounts
    (mhi.core.demo.demo_seed) and, for the consultation response, the demo opportunities.

    The owners are assigned through the services, which email them; loading the demo sends no email."""
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        return _load()


@transaction.atomic
def _load() -> int:
    coordinator = User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")
    created = 0
    if not Response.objects.filter(title=DRAFT_TITLE).exists():
        _draft(coordinator)
        created += 1
    if not Response.objects.filter(title=POSITION_TITLE).exists():
        _position(coordinator)
        created += 1
    return created
