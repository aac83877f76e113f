"""Drafting a joint response: the partners' contributions, threaded comments, the consolidated answer of each
question, its versions and readable diffs.

Rules:
- Who may do what comes from `access.response_permissions`: a question's consolidated answer is edited by the
  users whose `edit_question_ids` hold it (the response's managers, and the question's owner); contributions and
  comments by anyone who may `contribute` (a viewer of a response that is not locked nor withdrawn). A refusal is
  `mhi.core.errors.PermissionDenied`; pages and the API check visibility first (404 for a draft you may not see).
- **No silent overwrite.** Every save names the version it started from (`base_version`). The save is one
  conditional UPDATE ... WHERE pk = question AND answer_version = base_version, inside a transaction that holds
  the response row (so a sign-off that locks the response meanwhile is seen): of two saves from the same base,
  exactly one passes, and the other is refused with `AnswerConflict`, which carries the current version and the
  submitted text, so the editor can compare both and save again from the current version. Contributions follow
  the same rule (`ContributionConflict`). Saving the text that is already there is a no-op: no new version.
- Every save of an answer is an AnswerVersion (number = the question's new `answer_version`, author, time, the
  response's new revision); it raises the response's revision (`trail.revision_bump`), voids every standing
  sign-off decision (`signoff.approvals_void`), is audited and recorded in the response's trail. Every save of a
  contribution is a ContributionVersion (the author of the contribution stays its first author).
- Comments are threaded (`parent`), never edited after posting; the question's owner and the parent comment's
  author are emailed (after the commit; a mail failure never refuses the comment).
- Texts are stored with line endings as "\\n" and surrounding white space removed.

Word count — words as a reader counts them: the text split on white space, and every piece that holds at least
one letter or digit is a word. So a hyphenated word counts once ("state-of-the-art" is 1), numbers count ("2024",
"12,000" and "£5m" are 1 each), and a dash or an ampersand standing alone ("—", "-", "&") is not a word:
"state-of-the-art care in 2024" is 4 words. Over the limit is allowed while drafting, and flagged.

Diff — `text_diff(old, new)` compares the two texts word by word (difflib on the words and the line breaks, so
new paragraphs show), and returns ("equal" | "delete" |
"insert", text) segments: each word keeps the spaces that follow it, a line or paragraph break is a token of its
own, so joining the "equal" and "insert" texts gives the new text exactly, and the "equal" and "delete" ones the
old text's words. A replaced run is its
deletion followed by its insertion.
"""

import difflib
import html
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from mhi.core.audit import audit_record, audit_save_or_refuse, audit_snapshot
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.responses import access, trail
from mhi.responses.models import (
    AnswerVersion,
    Comment,
    Contribution,
    ContributionKind,
    ContributionVersion,
    Question,
    Response,
    ResponseStatus,
)

logger = logging.getLogger(__name__)
SOURCE = "responses.drafting"
EMAIL_PREFIX = "[MHI Hub] "
MAX_ANSWER_LENGTH = 100_000
MAX_CONTRIBUTION_LENGTH = 50_000
MAX_COMMENT_LENGTH = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HAS_WORD_CHARACTER = re.compile(r"[^\W_]")
_TOKEN = re.compile(r"\s*\n\s*|[^\S\n]*\S+[^\S\n]*")


# --- words and diffs ----------------------------------------------------------------------------------------


def word_count(text: str) -> int:
    """Words as a reader counts them (see the module's text): "state-of-the-art care in 2024" is 4."""
    return sum(1 for piece in (text or "").split() if _HAS_WORD_CHARACTER.search(piece))


@dataclass(frozen=True)
class WordCount:
    words: int
    limit: int | None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit

    @property
    def label(self) -> str:
        """ "123 / 250 words", or "123 words" without a limit."""
        unit = "word" if (self.limit or self.words) == 1 else "words"
        return f"{self.words} / {self.limit} {unit}" if self.limit is not None else f"{self.words} {unit}"


def count_against_limit(text: str, limit: int | None) -> WordCount:
    return WordCount(word_count(text), limit)


def _key(token: str) -> str:
    """What a token is compared by: the word itself, or a line break ("\n") or a paragraph break ("\n\n")."""
    word = token.strip()
    if word:
        return word
    return "\n" * min(token.count("\n"), 2)


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """The readable word diff of two texts: a list of ("equal" | "delete" | "insert", text) segments."""
    old_tokens = _TOKEN.findall(old or "")
    new_tokens = _TOKEN.findall(new or "")
    matcher = difflib.SequenceMatcher(
        None, [_key(t) for t in old_tokens], [_key(t) for t in new_tokens], autojunk=False
    )
    segments: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(new_tokens[j1:j2]))
        else:
            add("delete", "".join(old_tokens[i1:i2]))
            add("insert", "".join(new_tokens[j1:j2]))
    return segments


def diff_html(segments: list[tuple[str, str]]) -> SafeString:
    """The diff as HTML: inserted words in <ins>, removed ones in <del>, each with a label for screen readers."""
    parts = []
    for op, text in segments:
        escaped = html.escape(text, quote=False)
        if op == "insert":
            parts.append(
                f'<ins class="mhi-diff__ins"><span class="govuk-visually-hidden">[inserted: </span>{escaped}'
                f'<span class="govuk-visually-hidden">]</span></ins>'
            )
        elif op == "delete":
            parts.append(
                f'<del class="mhi-diff__del"><span class="govuk-visually-hidden">[removed: </span>{escaped}'
                f'<span class="govuk-visually-hidden">]</span></del>'
            )
        else:
            parts.append(escaped)
    return mark_safe("".join(parts))  # noqa: S308 - every text part is escaped above


@dataclass(frozen=True)
class DiffSummary:
    inserted: int
    removed: int


def diff_summary(segments: list[tuple[str, str]]) -> DiffSummary:
    return DiffSummary(
        inserted=sum(word_count(t) for op, t in segments if op == "insert"),
        removed=sum(word_count(t) for op, t in segments if op == "delete"),
    )


# --- errors -------------------------------------------------------------------------------------------------


def _person(user) -> str:
    if user is None:
        return "someone no longer registered"
    return user.full_name or user.email


class AnswerConflict(Conflict):
    """Someone else saved the answer since the editor loaded it. `current` is the question's current
    AnswerVersion (an unsaved one numbered 0 when the question has no answer), `submitted` the refused text."""

    def __init__(self, *, question: Question, current: AnswerVersion, submitted: str, base_version: int):
        self.question = question
        self.current = current
        self.submitted = submitted
        self.base_version = base_version
        by = ""
        if current.pk:
            by = f", saved by {_person(current.author)}"
        super().__init__(
            f"Someone else saved this answer while you were editing it (you started from version {base_version}; "
            f"it is now version {current.number}{by}). Your text has not been saved: compare both versions and "
            f"save again.",
            field="text",
        )


class ContributionConflict(Conflict):
    """Someone else saved the contribution since the editor loaded it."""

    def __init__(self, *, contribution: Contribution, current: ContributionVersion, submitted: str, base_version):
        self.contribution = contribution
        self.current = current
        self.submitted = submitted
        self.base_version = base_version
        super().__init__(
            f"Someone else saved this contribution while you were editing it (you started from version "
            f"{base_version}; it is now version {current.number}, saved by {_person(current.author)}). Your text "
            f"has not been saved: compare both versions and save again.",
            field="text",
        )


# --- helpers ------------------------------------------------------------------------------------------------


def clean_text(value, *, field: str = "text", label: str = "The text", max_length: int, required: bool) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise DomainError(f"{label} contains a control character, which cannot be stored; remove it.", field=field)
    if required and not text:
        raise DomainError(f"{label} is empty; write something first.", field=field)
    if len(text) > max_length:
        raise DomainError(
            f"{label} is {len(text):,} characters long; the most is {max_length:,}.",
            field=field,
        )
    return text


def _version_number(value, *, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(
            "The version you started from is missing; reload the page and try again.", field=field
        ) from None
    if number < 0:
        raise DomainError("The version you started from is not valid; reload the page and try again.", field=field)
    return number


def _response_row(response: Response) -> Response:
    """The response re-read under a row lock (a sign-off that locks it meanwhile is seen, and waits for us)."""
    fresh = Response.objects.select_for_update().get(pk=response.pk)
    response.status, response.revision = fresh.status, fresh.revision
    return fresh


def refuse_closed(response: Response) -> None:
    """Nothing changes the text of a locked, published or withdrawn response."""
    if response.status == ResponseStatus.PUBLISHED:
        raise PermissionDenied("The response is published: it is signed off and locked, and its text cannot change.")
    if response.is_locked:
        raise PermissionDenied(
            "The response is locked: every partner signed it off, and its text cannot change unless a coordinator "
            "unlocks it."
        )
    if response.status == ResponseStatus.WITHDRAWN:
        raise PermissionDenied("The response was withdrawn: its text cannot change.")


def _save(instance, *, user, fields: dict | None = None) -> bool:
    return audit_save_or_refuse(instance=instance, actor=user, source=SOURCE, fields=fields)


def current_version(question: Question) -> AnswerVersion:
    """The question's current AnswerVersion, or an unsaved one numbered 0 (no answer yet)."""
    found = None
    if question.answer_version:
        found = (
            AnswerVersion.objects.select_related("author")
            .filter(question=question, number=question.answer_version)
            .first()
        )
    if found is None:
        found = AnswerVersion(question=question, number=question.answer_version, text=question.answer)
    return found


# --- the consolidated answer --------------------------------------------------------------------------------


def answer_save(*, user, question: Question, text, base_version: int, note: str = "", reused_from=None):
    """Save the question's consolidated answer from `base_version` (the version the editor started from).

    Returns the new AnswerVersion (`is_new` True), or the current one when the text is unchanged (`is_new` False:
    nothing is written). Raises
    PermissionDenied (not an editor of this question, or the response is locked), DomainError (bad text) or
    AnswerConflict (another save came first: nothing is written)."""
    text = clean_text(text, label="The answer", max_length=MAX_ANSWER_LENGTH, required=False)
    base_version = _version_number(base_version, field="base_version")
    note = clean_text(note, field="note", label="The note", max_length=300, required=False)
    response = question.response
    with transaction.atomic():
        _response_row(response)
        refuse_closed(response)
        if question.pk not in access.response_permissions(user=user, response=response).edit_question_ids:
            raise PermissionDenied(
                f"Only the owner of Q{question.number} or the response's coordinator may edit its answer."
            )
        fresh = Question.objects.get(pk=question.pk)
        if text == fresh.answer:
            _copy(fresh, question)
            unchanged = current_version(fresh)
            unchanged.is_new = False
            return unchanged
        before = audit_snapshot(fresh)
        new_number = base_version + 1
        updated = Question.objects.filter(pk=question.pk, answer_version=base_version).update(
            answer=text, answer_version=new_number
        )
        if updated != 1:
            fresh = Question.objects.get(pk=question.pk)
            raise AnswerConflict(
                question=fresh, current=current_version(fresh), submitted=text, base_version=base_version
            )
        fresh.refresh_from_db()
        audit_record(instance=fresh, action=AuditEvent.Action.UPDATE, before=before, actor=user, source=SOURCE)
        revision = trail.revision_bump(response=response)
        version = AnswerVersion(
            question=fresh,
            number=new_number,
            text=text,
            author=user,
            note=note,
            reused_from=reused_from,
            response_revision=revision,
        )
        _save(version, user=user)
        version.is_new = True
        from mhi.responses.signoff import approvals_void

        approvals_void(response=response, actor=user, reason=f"Q{fresh.number} answer edited")
        words = word_count(text)
        limit = f" / {fresh.word_limit}" if fresh.word_limit else ""
        trail.event_record(
            response=response,
            kind="answer_saved",
            actor=user,
            summary=f"Q{fresh.number} answer saved as version {new_number} by {_person(user)} ({words}{limit} words)"
            + (f": {note}" if note else ""),
            question=fresh.pk,
            number=fresh.number,
            version=new_number,
            revision=revision,
            words=words,
            reused_from=reused_from.pk if reused_from is not None else None,
        )
        _copy(fresh, question)
    return version


def _copy(source: Question, target: Question) -> None:
    target.answer, target.answer_version = source.answer, source.answer_version


def versions_of(question: Question):
    return AnswerVersion.objects.filter(question=question).select_related("author").order_by("-number")


def version_of(question: Question, number) -> AnswerVersion:
    """One saved version of the answer; 0 is the empty text before the first save."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    if number == 0:
        return AnswerVersion(question=question, number=0, text="")
    found = versions_of(question).filter(number=number).first()
    if found is None:
        raise Http404(f"Q{question.number} has no version {number}.")
    return found


@dataclass(frozen=True)
class Diff:
    old: AnswerVersion | ContributionVersion
    new: AnswerVersion | ContributionVersion
    segments: list

    @property
    def html(self) -> SafeString:
        return diff_html(self.segments)

    @property
    def summary(self) -> DiffSummary:
        return diff_summary(self.segments)

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _ in self.segments)


def _pair(value_from, value_to, latest: int) -> tuple[int, int]:
    """The ?from=&to= version numbers, defaulting to previous → latest."""

    def number(value, default):
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise Http404("Version numbers are whole numbers.") from None

    to = number(value_to, latest)
    return number(value_from, max(to - 1, 0)), to


def answer_diff(question: Question, value_from=None, value_to=None) -> Diff:
    """The readable diff between two versions of the answer (default: the previous one and the latest)."""
    old_number, new_number = _pair(value_from, value_to, question.answer_version)
    old, new = version_of(question, old_number), version_of(question, new_number)
    return Diff(old=old, new=new, segments=text_diff(old.text, new.text))


# --- contributions ------------------------------------------------------------------------------------------


def may_edit_contribution(*, user, contribution: Contribution, perms: access.ResponsePermissions) -> bool:
    """The author, their institution's contributors and the response's managers, while it is open."""
    if not perms.contribute:
        return False
    return (
        perms.manage
        or contribution.author_id == getattr(user, "pk", None)
        or contribution.organisation_id in access.contributor_organisation_ids(user)
    )


def contribution_organisations(*, user, response: Response, perms: access.ResponsePermissions):
    """The signatory institutions the user may contribute for: their own (any role but external), or every
    signatory for a manager."""
    qs = Organisation.objects.filter(pk__in=response.signatories.values("organisation_id")).order_by("name")
    if perms.manage:
        return qs
    return qs.filter(pk__in=access.contributor_organisation_ids(user))


def contribution_add(*, user, question: Question, organisation: Organisation, kind, text) -> Contribution:
    """A partner's evidence or draft text for a question, as its first version."""
    response = question.response
    perms = access.response_permissions(user=user, response=response)
    if not perms.view:
        raise PermissionDenied("Only the response's partners and coordinators may contribute to it.")
    if kind not in ContributionKind.values:
        raise DomainError("Choose whether this is evidence or draft text.", field="kind")
    text = clean_text(text, label="The contribution", max_length=MAX_CONTRIBUTION_LENGTH, required=True)
    if organisation is None:
        raise DomainError("Choose the partner institution this contribution is from.", field="organisation")
    with transaction.atomic():
        _response_row(response)
        refuse_closed(response)
        if not response.signatories.filter(organisation=organisation).exists():
            raise DomainError(
                f"{organisation.name} is not a signatory of this response; contributions come from its partners.",
                field="organisation",
            )
        if not perms.manage and organisation.pk not in access.contributor_organisation_ids(user):
            raise PermissionDenied(f"You may add contributions only for your own institution, not {organisation.name}.")
        contribution = Contribution(
            question=question, organisation=organisation, kind=kind, text=text, version=1, author=user
        )
        _save(contribution, user=user)
        _save(ContributionVersion(contribution=contribution, number=1, text=text, author=user), user=user)
        trail.event_record(
            response=response,
            kind="contribution_added",
            actor=user,
            summary=f"{contribution.get_kind_display()} from {organisation.name} added to Q{question.number} "
            f"by {_person(user)}",
            question=question.pk,
            contribution=contribution.pk,
            organisation=organisation.slug,
        )
    return contribution


def contribution_edit(*, user, contribution: Contribution, text, base_version: int) -> ContributionVersion:
    """Save a contribution's text from `base_version`; a stale one is refused with ContributionConflict. Returns
    the new ContributionVersion (the current one when the text is unchanged)."""
    question = contribution.question
    response = question.response
    text = clean_text(text, label="The contribution", max_length=MAX_CONTRIBUTION_LENGTH, required=True)
    base_version = _version_number(base_version, field="base_version")
    with transaction.atomic():
        _response_row(response)
        refuse_closed(response)
        perms = access.response_permissions(user=user, response=response)
        if not may_edit_contribution(user=user, contribution=contribution, perms=perms):
            raise PermissionDenied(
                f"Only its author, contributors of {contribution.organisation.name} and the response's coordinator "
                f"may edit this contribution."
            )
        fresh = Contribution.objects.get(pk=contribution.pk)
        if text == fresh.text:
            contribution.text, contribution.version = fresh.text, fresh.version
            unchanged = contribution_version_of(fresh, fresh.version)
            unchanged.is_new = False
            return unchanged
        before = audit_snapshot(fresh)
        new_number = base_version + 1
        updated = Contribution.objects.filter(pk=contribution.pk, version=base_version).update(
            text=text, version=new_number, updated_at=timezone.now()
        )
        if updated != 1:
            fresh = Contribution.objects.get(pk=contribution.pk)
            raise ContributionConflict(
                contribution=fresh,
                current=contribution_version_of(fresh, fresh.version),
                submitted=text,
                base_version=base_version,
            )
        fresh.refresh_from_db()
        audit_record(instance=fresh, action=AuditEvent.Action.UPDATE, before=before, actor=user, source=SOURCE)
        version = ContributionVersion(contribution=fresh, number=new_number, text=text, author=user)
        _save(version, user=user)
        version.is_new = True
        trail.event_record(
            response=response,
            kind="contribution_edited",
            actor=user,
            summary=f"{fresh.get_kind_display()} from {fresh.organisation.name} on Q{question.number} saved as "
            f"version {new_number} by {_person(user)}",
            question=question.pk,
            contribution=fresh.pk,
            version=new_number,
        )
        contribution.text, contribution.version, contribution.updated_at = fresh.text, fresh.version, fresh.updated_at
    return version


def contribution_version_of(contribution: Contribution, number) -> ContributionVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404("No such version.") from None
    if number == 0:
        return ContributionVersion(contribution=contribution, number=0, text="")
    found = ContributionVersion.objects.select_related("author").filter(contribution=contribution, number=number)
    found = found.first()
    if found is None:
        raise Http404(f"This contribution has no version {number}.")
    return found


def contribution_versions(contribution: Contribution):
    return ContributionVersion.objects.filter(contribution=contribution).select_related("author").order_by("-number")


def contribution_diff(contribution: Contribution, value_from=None, value_to=None) -> Diff:
    old_number, new_number = _pair(value_from, value_to, contribution.version)
    old = contribution_version_of(contribution, old_number)
    new = contribution_version_of(contribution, new_number)
    return Diff(old=old, new=new, segments=text_diff(old.text, new.text))


@dataclass(frozen=True)
class PartnerContributions:
    organisation: Organisation
    contributions: list


def contributions_by_partner(question: Question) -> list[PartnerContributions]:
    """The question's contributions grouped by partner institution (by name), oldest first within each."""
    contributions = list(
        Contribution.objects.filter(question=question)
        .select_related("organisation", "author")
        .order_by("organisation__name", "organisation_id", "created_at", "id")
    )
    groups: list[PartnerContributions] = []
    for contribution in contributions:
        if not groups or groups[-1].organisation.pk != contribution.organisation_id:
            groups.append(PartnerContributions(contribution.organisation, []))
        groups[-1].contributions.append(contribution)
    return groups


# --- comments -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadedComment:
    comment: Comment
    depth: int  # 0 for a comment, 1 for a reply, 2 for a reply to a reply...


def comment_thread(question: Question) -> list[ThreadedComment]:
    """The question's comments in reading order: each followed by its replies (oldest first), depth-first."""
    comments = list(Comment.objects.filter(question=question).select_related("author").order_by("created_at", "id"))
    children: dict[int | None, list[Comment]] = {}
    ids = {c.pk for c in comments}
    for comment in comments:
        parent = comment.parent_id if comment.parent_id in ids else None
        children.setdefault(parent, []).append(comment)
    out: list[ThreadedComment] = []
    stack = [(c, 0) for c in reversed(children.get(None, []))]
    while stack:
        comment, depth = stack.pop()
        out.append(ThreadedComment(comment, depth))
        stack.extend((reply, depth + 1) for reply in reversed(children.get(comment.pk, [])))
    return out


def comment_add(*, user, question: Question, text, parent: Comment | None = None) -> Comment:
    """A comment on the question, or a reply to one of its comments. Comments are not edited after posting."""
    response = question.response
    perms = access.response_permissions(user=user, response=response)
    if not perms.view:
        raise PermissionDenied("Only the response's partners and coordinators may comment on it.")
    text = clean_text(text, label="The comment", max_length=MAX_COMMENT_LENGTH, required=True)
    if parent is not None and parent.question_id != question.pk:
        raise DomainError("The comment you reply to is on another question.", field="parent")
    with transaction.atomic():
        _response_row(response)
        refuse_closed(response)
        comment = Comment(question=question, parent=parent, author=user, text=text)
        _save(comment, user=user)
        what = "Reply" if parent is not None else "Comment"
        trail.event_record(
            response=response,
            kind="comment_added",
            actor=user,
            summary=f"{what} on Q{question.number} by {_person(user)}",
            question=question.pk,
            comment=comment.pk,
            parent=parent.pk if parent is not None else None,
        )
        notify_comment(comment=comment)
    return comment


# --- emails -------------------------------------------------------------------------------------------------


def comment_recipients(comment: Comment) -> list:
    """Who hears of a comment: the question's owner and the parent comment's author, never its own author, and
    only while they may still see the draft."""
    question = comment.question
    people = [question.owner]
    if comment.parent_id:
        people.append(comment.parent.author)
    out, seen = [], set()
    for person in people:
        if person is None or person.pk == comment.author_id or person.pk in seen:
            continue
        if not person.is_active or not person.email:
            continue
        if not access.response_permissions(user=person, response=question.response).view:
            continue
        seen.add(person.pk)
        out.append(person)
    return out


def notify_comment(*, comment: Comment) -> None:
    """Email the comment to its recipients after the commit; a failure to send is logged, never raised."""
    transaction.on_commit(lambda: _send_comment_quietly(comment.pk))


def _send_comment_quietly(comment_id: int) -> None:
    try:
        _send_comment(comment_id)
    except Exception:  # the mail server's trouble is not the comment's
        logger.exception("Could not send the comment email for comment %s", comment_id)


def _send_comment(comment_id: int) -> int:
    comment = (
        Comment.objects.select_related("question__response", "question__owner", "author", "parent__author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        return 0
    question = comment.question
    response = question.response
    url = settings.SITE_URL + reverse("responses:question", args=[question.pk]) + f"#comment-{comment.pk}"
    sent = 0
    for person in comment_recipients(comment):
        why = (
            "you wrote the comment it replies to"
            if comment.parent_id and comment.parent.author_id == person.pk
            else f"you own Q{question.number}"
        )
        subject = f"{'Reply' if comment.parent_id else 'Comment'} on Q{question.number} of “{response.title}”"
        context = {
            "name": person.full_name or person.email,
            "author": _person(comment.author),
            "comment": comment,
            "question": question,
            "response": response,
            "why": why,
            "url": url,
        }
        text = render_to_string("responses/drafting/email/comment.txt", context)
        body = render_to_string("responses/email/message.html", {"subject": subject, "text": text, "url": url})
        email = EmailMultiAlternatives(subject=EMAIL_PREFIX + subject, body=text, to=[person.email])
        email.attach_alternative(body, "text/html")
        email.send()
        sent += 1
    return sent
