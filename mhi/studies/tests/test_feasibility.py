"""The feasibility loop (area S3): suggestions, sending, answering, reminders, comparison, closing; pages and API.

The scene: "DIAB-3" (type 2 diabetes, eligibility fraction 0.5, owned by the researcher persona); England's
diabetes prevalence 7.5%. Birmingham and Solihull ICB (QHL) has 544,443 people, so a trust there reaches
544,443 × 7.5% × 0.5 = 20,416 eligible patients (rounded down). Sites:
- UHB (the world's, ICB QHL): Diabetes and Cardiology, 10 a month; its user is the nhs_rd persona.
- Shire Hospitals (ICB QHL): Cardiology only, 5 a month; no users, R&D contact rd@shire.example.org.
- Northfield Trust (no ICB): Diabetes, 20 a month; its own R&D user (northfield_rd).
- Quiet Trust (no ICB): Diabetes; no users and no R&D contact: nobody to email.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.studies import feasibility
from mhi.studies.models import (
    FeasibilityInvite,
    FeasibilityReminder,
    FeasibilityRequest,
    FeasibilityResponse,
    StudySite,
)
from mhi.studies.tests.factories import (
    FeasibilityInviteFactory,
    FeasibilityRequestFactory,
    PrevalenceFigureFactory,
    SiteProfileFactory,
    StudyFactory,
    TrustFactory,
)

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


class Scene:
    pass


@pytest.fixture
def scene(world):
    s = Scene()
    s.world = world
    s.icb = OrganisationFactory(
        kind="icb", name="Birmingham and Solihull ICB", slug="bsol", ods_code="QHL", population=544_443
    )
    world.uhb.icb = s.icb
    world.uhb.save()
    SiteProfileFactory(organisation=world.uhb, specialties="Diabetes\nCardiology", monthly_capacity=10)
    s.uhb = world.uhb
    s.shire = TrustFactory(name="Shire Hospitals NHS Trust", slug="shire", ods_code="RX1", icb=s.icb)
    SiteProfileFactory(
        organisation=s.shire, specialties="Cardiology", monthly_capacity=5, rd_contact_email="rd@shire.example.org"
    )
    s.northfield = TrustFactory(name="Northfield Trust", slug="northfield", ods_code="RX2")
    SiteProfileFactory(organisation=s.northfield, specialties="Diabetes", monthly_capacity=20)
    s.northfield_rd = UserFactory(email="rd@northfield.example.org")
    MembershipFactory(user=s.northfield_rd, role="nhs_rd", organisation=s.northfield)
    s.quiet = TrustFactory(name="Quiet Trust", slug="quiet", ods_code="RX3")
    SiteProfileFactory(organisation=s.quiet, specialties="Diabetes", monthly_capacity=None, rd_contact_email="")
    PrevalenceFigureFactory(condition_key="diabetes", area_code="ENG", percent="7.5000")
    s.study = StudyFactory(
        title="Type 2 diabetes trial",
        acronym="DIAB-3",
        conditions="Type 2 diabetes",
        eligibility_fraction="0.5",
        prevalence_condition="diabetes",
        owner=world.users["researcher"],
    )
    s.study.refresh_from_db()
    s.coordinator = world.users["coordinator"]
    s.researcher = world.users["researcher"]
    s.nhs_rd = world.users["nhs_rd"]
    return s


def _request(s, *, sites=None, deadline=None, reminder_days="7,2"):
    request = FeasibilityRequestFactory(
        study=s.study, deadline=deadline or TODAY + 14 * DAY, reminder_days=reminder_days, created_by=s.researcher
    )
    for site in sites or [s.uhb, s.shire, s.northfield]:
        FeasibilityInviteFactory(request=request, site=site)
    return request


def _invite(request, site):
    return request.invites.get(site=site)


ANSWER = {
    "interest": "yes",
    "local_pi": "Dr Asha Patel",
    "local_pi_email": "asha.patel@uhb.example.org",
    "monthly_recruitment": "6",
    "capacity": "with_support",
    "capacity_note": "Needs a research nurse",
    "pharmacy": "yes",
    "imaging": "not_needed",
    "earliest_start": "2027-03-01",
    "comments": "Keen to take part",
}


def _answer(user, invite, **changes):
    data = {**ANSWER, **changes}
    data["earliest_start"] = datetime.date.fromisoformat(data["earliest_start"]) if data["earliest_start"] else None
    return feasibility.feasibility_answer(user=user, invite=invite, data=data)


def _api(client, user, method, path, body=None):
    from mhi.accounts.services import api_token_create

    token = api_token_create(user=user, name="t")[1]
    call = getattr(client, method)
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        return call(path, data=body, content_type="application/json", headers=headers)
    return call(path, headers=headers)


# --- specialty matching and suggestions ---------------------------------------------------------------------------


def test_specialty_matching_is_case_insensitive_on_words_and_phrases():
    assert feasibility.specialty_matches(["Type 2 diabetes"], ["DIABETES", "Cardiology"]) == ["DIABETES"]
    assert feasibility.specialty_matches(["Diabetes"], ["Diabetes and endocrinology"]) == ["Diabetes and endocrinology"]
    assert feasibility.specialty_matches(["Diabetic retinopathy"], ["Diabetic eye screening"]) == [
        "Diabetic eye screening"
    ]
    # "disease" alone is not a match, nor is a word inside another word.
    assert feasibility.specialty_matches(["Kidney disease"], ["Heart disease"]) == []
    assert feasibility.specialty_matches(["Asthma"], ["Asthmatic-free zones", "Respiratory"]) == []


def test_suggestions_rank_by_specialty_then_reach_then_capacity_with_reasons(scene):
    OrganisationFactory(kind="university", name="A University", themes="Diabetes")
    suggestions = feasibility.suggest_sites(study=scene.study)
    assert [(s.site.name, s.reason) for s in suggestions] == [
        ("University Hospitals Birmingham", "Specialty: Diabetes; reach 20,416 eligible; capacity 10 a month"),
        ("Northfield Trust", "Specialty: Diabetes; reach not known; capacity 20 a month"),
        ("Quiet Trust", "Specialty: Diabetes; reach not known; capacity not stated"),
        ("Shire Hospitals NHS Trust", "No specialty match; reach 20,416 eligible; capacity 5 a month"),
    ]
    assert suggestions[0].eligible == 20_416
    assert [s.site.name for s in feasibility.suggest_sites(study=scene.study, limit=2)] == [
        "University Hospitals Birmingham",
        "Northfield Trust",
    ]


# --- sending ------------------------------------------------------------------------------------------------------


def test_the_form_lists_suggestions_unticked_and_filters_by_specialty_and_icb(client, scene):
    client.force_login(scene.researcher)
    url = reverse("studies:feasibility_create", args=[scene.study.pk])
    page = client.get(url).content.decode()
    assert "Specialty: Diabetes; reach 20,416 eligible; capacity 10 a month" in page
    assert f'id="site-s-{scene.uhb.pk}" name="sites" type="checkbox" value="{scene.uhb.pk}" aria-describedby' in page
    assert "checked" not in page.split("Find sites by specialty")[0].split("Suggested sites")[1]
    # An ICB with no population figure: no reach, so not suggested; found by its ICB.
    derby = OrganisationFactory(kind="icb", name="Derby and Derbyshire ICB", slug="ddicb", ods_code="QJ2")
    extra = TrustFactory(name="Eastgate Hospital", slug="eastgate", ods_code="RX4", icb=derby)
    found = client.get(url, {"icb": "QJ2"}).content.decode()
    assert "Sites found (1)" in found and "Eastgate Hospital" in found
    kept = client.post(url, {"action": "filter", "specialty": "cardio", "sites": [str(extra.pk)]}).content.decode()
    assert f'id="site-k-{extra.pk}" name="sites" type="checkbox" value="{extra.pk}" checked' in kept


def test_sending_creates_the_request_and_invites_and_emails_each_site(
    client, scene, django_capture_on_commit_callbacks
):
    client.force_login(scene.researcher)
    deadline = TODAY + 21 * DAY
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("studies:feasibility_create", args=[scene.study.pk]),
            {
                "action": "send",
                "sites": [str(scene.uhb.pk), str(scene.shire.pk), str(scene.quiet.pk), str(scene.uhb.pk)],
                "deadline": deadline.isoformat(),
                "message": "Could your site take part?",
                "reminder_days": " 2, 7 ,7",
            },
            follow=True,
        )
    request = FeasibilityRequest.objects.get()
    assert response.redirect_chain == [(reverse("studies:feasibility", args=[request.pk]), 302)]
    assert (request.deadline, request.reminder_days, request.message, request.created_by) == (
        deadline,
        "7,2",
        "Could your site take part?",
        scene.researcher,
    )
    assert sorted(request.invites.values_list("site__name", "status")) == [
        ("Quiet Trust", "sent"),
        ("Shire Hospitals NHS Trust", "sent"),
        ("University Hospitals Birmingham", "sent"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["rd@shire.example.org", "rd@uhb.example.org"]
    uhb_mail = next(m for m in mail.outbox if m.to == ["rd@uhb.example.org"])
    assert uhb_mail.subject == f"[MHI Hub] Feasibility request: DIAB-3, answer by {deadline:%-d %B %Y}"
    invite = _invite(request, scene.uhb)
    assert f"\n{settings.SITE_URL}/studies/feasibility/invites/{invite.pk}/\n" in uhb_mail.body
    page = response.content.decode()
    assert "Feasibility request sent to 3 sites; 2 sites emailed." in page
    assert "Nobody to email at Quiet Trust: no user with a site role and no R&amp;D contact email." in page
    audited = AuditEvent.objects.filter(action="create", actor=scene.researcher)
    assert audited.filter(content_type__model="feasibilityrequest").count() == 1
    assert audited.filter(content_type__model="feasibilityinvite").count() == 3


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"deadline": (TODAY - DAY).isoformat()},
            "deadline",
            f"The deadline must be in the future (after {TODAY:%-d %B %Y}); {TODAY - DAY:%-d %B %Y} is not.",
        ),
        (
            {"deadline": TODAY.isoformat()},
            "deadline",
            f"The deadline must be in the future (after {TODAY:%-d %B %Y}); {TODAY:%-d %B %Y} is not.",
        ),
        (
            {"reminder_days": "7,two"},
            "reminder_days",
            "Reminder days must be whole numbers of days before the deadline, from 1 to 365, separated by commas "
            "(for example 7,2); “two” is not.",
        ),
        (
            {"reminder_days": "7,-1"},
            "reminder_days",
            "Reminder days must be whole numbers of days before the deadline, from 1 to 365, separated by commas "
            "(for example 7,2); “-1” is not.",
        ),
        ({"sites": []}, "sites", "Choose at least one site to send the request to."),
    ],
)
def test_a_bad_request_is_refused_at_its_field_and_nothing_is_written(client, scene, changes, field, message):
    client.force_login(scene.coordinator)
    data = {
        "action": "send",
        "sites": [str(scene.uhb.pk)],
        "deadline": (TODAY + 7 * DAY).isoformat(),
        "reminder_days": "7,2",
        **changes,
    }
    response = client.post(reverse("studies:feasibility_create", args=[scene.study.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert FeasibilityRequest.objects.count() == 0
    assert FeasibilityInvite.objects.count() == 0
    assert len(mail.outbox) == 0


def test_an_organisation_that_is_not_a_site_is_refused_and_nothing_is_written(scene):
    university = scene.world.aston
    with pytest.raises(DomainError) as refused:
        feasibility.feasibility_request_create(
            user=scene.coordinator,
            study=scene.study,
            site_ids=[scene.uhb.pk, university.pk],
            deadline=TODAY + 7 * DAY,
        )
    assert refused.value.field == "sites"
    assert refused.value.message == (
        "Aston University is university, not a site: a feasibility request goes to NHS trusts and research "
        "infrastructure."
    )
    assert FeasibilityRequest.objects.count() == 0
    assert FeasibilityInvite.objects.count() == 0


def test_only_those_who_manage_the_study_send(scene):
    with pytest.raises(PermissionDenied):
        feasibility.feasibility_request_create(
            user=scene.nhs_rd, study=scene.study, site_ids=[scene.uhb.pk], deadline=TODAY + 7 * DAY
        )
    assert FeasibilityRequest.objects.count() == 0


# --- the inbox and answering ------------------------------------------------------------------------------------


def test_a_site_user_sees_only_their_own_sites_invites(client, scene):
    request = _request(scene)
    other_request = _request(scene, sites=[scene.shire])
    client.force_login(scene.nhs_rd)
    page = client.get(reverse("studies:invites"))
    assert [row["invite"] for row in page.context["rows"]] == [_invite(request, scene.uhb)]
    for invite in (_invite(request, scene.shire), _invite(request, scene.northfield), other_request.invites.get()):
        assert client.get(reverse("studies:invite", args=[invite.pk])).status_code == 404
        assert _api(client, scene.nhs_rd, "get", f"/api/v1/feasibility/invites/{invite.pk}").status_code == 404
    listed = _api(client, scene.nhs_rd, "get", "/api/v1/feasibility/invites").json()
    assert [(i["site_name"], i["study_title"], i["status"]) for i in listed] == [
        ("University Hospitals Birmingham", "Type 2 diabetes trial", "sent")
    ]


def test_the_inbox_has_an_empty_state(client, scene):
    client.force_login(scene.nhs_rd)
    assert (
        "No feasibility requests have been sent to your site yet."
        in client.get(reverse("studies:invites")).content.decode()
    )
    client.force_login(scene.world.users["external"])
    assert "You do not work for a site" in client.get(reverse("studies:invites")).content.decode()


def test_a_site_user_answers_and_the_invite_becomes_answered(client, scene):
    request = _request(scene)
    invite = _invite(request, scene.uhb)
    client.force_login(scene.nhs_rd)
    url = reverse("studies:invite", args=[invite.pk])
    response = client.post(url, ANSWER, follow=True)
    assert response.redirect_chain == [(url, 302)]
    saved = FeasibilityResponse.objects.get()
    assert (
        saved.interest,
        saved.local_pi,
        saved.local_pi_email,
        saved.monthly_recruitment,
        saved.capacity,
        saved.capacity_note,
        saved.pharmacy,
        saved.imaging,
        saved.earliest_start,
        saved.comments,
        saved.answered_by,
    ) == (
        "yes",
        "Dr Asha Patel",
        "asha.patel@uhb.example.org",
        6,
        "with_support",
        "Needs a research nurse",
        "yes",
        "not_needed",
        datetime.date(2027, 3, 1),
        "Keen to take part",
        scene.nhs_rd,
    )
    invite.refresh_from_db()
    assert invite.status == "answered"
    page = response.content.decode()
    assert "Your answers for University Hospitals Birmingham are saved." in page
    assert f"You can change your answers until the deadline, {request.deadline:%-d %B %Y}" in page
    # Changed later: the same row, audited as an update.
    client.post(url, {**ANSWER, "interest": "maybe", "monthly_recruitment": "0"})
    saved.refresh_from_db()
    assert (saved.interest, saved.monthly_recruitment, FeasibilityResponse.objects.count()) == ("maybe", 0, 1)
    assert AuditEvent.objects.filter(content_type__model="feasibilityresponse", action="update").count() == 1


@pytest.mark.parametrize("value", ["-3", "2.5", "lots"])
def test_a_bad_monthly_recruitment_is_refused_naming_the_field_and_nothing_is_written(client, scene, value):
    invite = _invite(_request(scene), scene.uhb)
    client.force_login(scene.nhs_rd)
    response = client.post(reverse("studies:invite", args=[invite.pk]), {**ANSWER, "monthly_recruitment": value})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "monthly_recruitment": [f"Estimated participants a month must be a whole number, 0 or more; “{value}” is not."]
    }
    assert "Estimated participants a month: Estimated participants a month must be a whole number" in (
        response.content.decode()
    )
    assert FeasibilityResponse.objects.count() == 0
    invite.refresh_from_db()
    assert invite.status == "sent"


def test_a_negative_monthly_recruitment_is_refused_by_the_api_too(client, scene):
    invite = _invite(_request(scene), scene.uhb)
    response = _api(
        client,
        scene.nhs_rd,
        "put",
        f"/api/v1/feasibility/invites/{invite.pk}/response",
        {"interest": "yes", "monthly_recruitment": -1},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "monthly_recruitment": ["Estimated participants a month must be a whole number, 0 or more; “-1” is not."]
    }
    assert FeasibilityResponse.objects.count() == 0


def test_a_site_user_cannot_answer_for_another_site(client, scene):
    request = _request(scene)
    shire = _invite(request, scene.shire)
    client.force_login(scene.nhs_rd)
    assert client.post(reverse("studies:invite", args=[shire.pk]), ANSWER).status_code == 404
    assert (
        _api(client, scene.nhs_rd, "put", f"/api/v1/feasibility/invites/{shire.pk}/response", {"interest": "yes"})
    ).status_code == 404
    with pytest.raises(PermissionDenied) as refused:
        _answer(scene.nhs_rd, shire)
    assert refused.value.message == "Only the users of Shire Hospitals NHS Trust answer for it."
    # The study's owner and coordinators read, but do not answer for a site.
    with pytest.raises(PermissionDenied):
        _answer(scene.coordinator, _invite(request, scene.uhb))
    assert FeasibilityResponse.objects.count() == 0


def test_answers_are_read_only_for_managers_and_after_the_deadline_or_closing(client, scene):
    request = _request(scene)
    invite = _invite(request, scene.uhb)
    _answer(scene.nhs_rd, invite)
    client.force_login(scene.coordinator)
    page = client.get(reverse("studies:invite", args=[invite.pk]))
    assert page.context["editable"] is False
    assert "Dr Asha Patel (asha.patel@uhb.example.org)" in page.content.decode()
    assert client.post(reverse("studies:invite", args=[invite.pk]), ANSWER).status_code == 403
    # The deadline has passed.
    FeasibilityRequest.objects.filter(pk=request.pk).update(deadline=TODAY - DAY)
    invite = FeasibilityInvite.objects.get(pk=invite.pk)
    with pytest.raises(DomainError) as refused:
        _answer(scene.nhs_rd, invite, interest="no")
    assert refused.value.message == (
        f"The deadline ({TODAY - DAY:%-d %B %Y}) has passed, so answers can no longer be changed."
    )
    client.force_login(scene.nhs_rd)
    page = client.get(reverse("studies:invite", args=[invite.pk]))
    assert page.context["editable"] is False
    assert "has passed, so answers can no longer be changed." in page.content.decode()
    # Closed.
    FeasibilityRequest.objects.filter(pk=request.pk).update(deadline=TODAY + DAY, status="closed")
    with pytest.raises(DomainError) as refused:
        _answer(scene.nhs_rd, FeasibilityInvite.objects.get(pk=invite.pk), interest="no")
    assert refused.value.message == "The request is closed, so answers can no longer be changed."
    assert FeasibilityResponse.objects.get().interest == "yes"


# --- reminders ----------------------------------------------------------------------------------------------------


def test_reminders_are_sent_once_per_offset_to_unanswered_sites_only(scene):
    deadline = TODAY + 10 * DAY
    request = _request(scene, deadline=deadline)
    _answer(scene.nhs_rd, _invite(request, scene.uhb))
    # 8 days before: nothing is due.
    assert feasibility.feasibility_reminders_run(today=deadline - 8 * DAY) == 0
    # 7 days before, twice: Shire (R&D contact) and Northfield (its user), once each.
    assert feasibility.feasibility_reminders_run(today=deadline - 7 * DAY) == 2
    assert feasibility.feasibility_reminders_run(today=deadline - 7 * DAY) == 0
    assert feasibility.feasibility_reminders_run(today=deadline - 5 * DAY) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["rd@northfield.example.org", "rd@shire.example.org"]
    assert mail.outbox[0].subject == (f"[MHI Hub] Reminder: feasibility for DIAB-3, answer by {deadline:%-d %B %Y}")
    assert "The deadline is" in mail.outbox[0].body and "(in 7 days)" in mail.outbox[0].body
    # Northfield answers; 2 days before, twice: only Shire.
    _answer(scene.northfield_rd, _invite(request, scene.northfield), interest="no")
    assert feasibility.feasibility_reminders_run(today=deadline - 2 * DAY) == 1
    assert feasibility.feasibility_reminders_run(today=deadline - 2 * DAY) == 1 - 1
    assert feasibility.feasibility_reminders_run(today=deadline) == 0
    assert len(mail.outbox) == 3
    assert mail.outbox[2].to == ["rd@shire.example.org"]
    assert sorted(FeasibilityReminder.objects.values_list("invite__site__name", "days_before")) == [
        ("Northfield Trust", 7),
        ("Shire Hospitals NHS Trust", 2),
        ("Shire Hospitals NHS Trust", 7),
    ]


def test_a_late_request_sends_only_the_nearest_reminder_and_closed_ones_none(scene):
    request = _request(scene, sites=[scene.shire], deadline=TODAY + DAY)
    assert feasibility.feasibility_reminders_run() == 1
    assert list(FeasibilityReminder.objects.values_list("days_before", flat=True)) == [2]
    closed = _request(scene, sites=[scene.northfield], deadline=TODAY + 2 * DAY)
    FeasibilityRequest.objects.filter(pk=closed.pk).update(status="closed")
    quiet = _request(scene, sites=[scene.quiet], deadline=TODAY + 2 * DAY)  # nobody to email: nothing recorded
    assert feasibility.feasibility_reminders_run() == 0
    assert len(mail.outbox) == 1
    assert not FeasibilityReminder.objects.filter(invite__request__in=[closed, quiet]).exists()
    assert request.reminder_days == "7,2"


def test_the_command_sends_the_due_reminders(scene, capsys):
    _request(scene, sites=[scene.shire], deadline=TODAY + 2 * DAY)
    call_command("send_feasibility_reminders")
    call_command("send_feasibility_reminders")
    assert capsys.readouterr().out == "1 reminder sent.\n0 reminders sent.\n"
    assert len(mail.outbox) == 1


# --- comparison ---------------------------------------------------------------------------------------------------


def _answered_request(scene):
    request = _request(scene, deadline=TODAY + 10 * DAY)
    _answer(scene.nhs_rd, _invite(request, scene.uhb))
    _answer(
        scene.northfield_rd,
        _invite(request, scene.northfield),
        interest="maybe",
        local_pi="Dr Ben Okafor",
        local_pi_email="",
        monthly_recruitment="3",
        capacity="yes",
        capacity_note="",
        pharmacy="no",
        imaging="yes",
        earliest_start="2027-06-01",
        comments="",
    )
    feasibility.feasibility_reminders_run(today=request.deadline - 7 * DAY)  # Shire reminded
    return request


def test_the_comparison_shows_every_site_side_by_side_with_totals(client, scene):
    request = _answered_request(scene)
    client.force_login(scene.researcher)
    response = client.get(reverse("studies:feasibility", args=[request.pk]))
    assert response.context["table"] == [
        ("Interest", ["Possibly", "No answer yet", "Interested"]),
        ("Local PI", ["Dr Ben Okafor", "No answer yet", "Dr Asha Patel (asha.patel@uhb.example.org)"]),
        ("Estimated participants a month", ["3", "No answer yet", "6"]),
        ("Capacity and capability", ["Yes", "No answer yet", "Yes, with support: Needs a research nurse"]),
        ("Clinical trials pharmacy", ["No", "No answer yet", "Yes"]),
        ("Imaging", ["Yes", "No answer yet", "Not needed for this study"]),
        ("Earliest start", ["1 June 2027", "No answer yet", "1 March 2027"]),
        ("Comments", ["—", "No answer yet", "Keen to take part"]),
        ("Reach estimate (eligible patients)", ["Not known", "20,416", "20,416"]),
        ("Capacity in its profile (a month)", ["20", "5", "10"]),
    ]
    page = response.content.decode()
    assert [row.site.name for row in response.context["compared"].rows] == [
        "Northfield Trust",
        "Shire Hospitals NHS Trust",
        "University Hospitals Birmingham",
    ]
    assert f"Reminders sent: 7 days before ({TODAY:%-d %b})" in page
    assert "2 of 3 sites answered" in page
    assert "Sites interested: 1; possibly: 1; not interested: 0" in page
    assert "Estimated monthly recruitment of the sites interested or possibly interested: 9 a month" in page
    rows = client.get(reverse("studies:feasibility", args=[request.pk]), {"layout": "rows"})
    assert rows.context["layout"] == "rows"
    assert rows.context["site_rows"][1][1][0] == "No answer yet"


def _crumbs(page) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', page.content.decode(), re.S).group(0)
    return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]*)">([^<]*)</a>', nav)


def test_the_feasibility_pages_lead_back_to_the_studies_and_the_study(client, scene):
    request = _answered_request(scene)
    invite = _invite(request, scene.uhb)
    study = [("/studies/", "Studies"), (f"/studies/{scene.study.pk}/", "DIAB-3")]
    to_request = [*study, (f"/studies/feasibility/{request.pk}/", "Feasibility request")]
    client.force_login(scene.researcher)
    assert _crumbs(client.get(f"/studies/{scene.study.pk}/feasibility/new/")) == study
    assert _crumbs(client.get(f"/studies/feasibility/{request.pk}/")) == study
    assert _crumbs(client.get(f"/studies/feasibility/{request.pk}/close/")) == to_request
    assert _crumbs(client.get(f"/studies/feasibility/invites/{invite.pk}/")) == to_request
    client.force_login(scene.nhs_rd)
    page = client.get(f"/studies/feasibility/invites/{invite.pk}/")
    assert _crumbs(page) == [("/studies/feasibility/inbox/", "Feasibility requests to your site")]


def test_the_comparison_downloads_as_csv(client, scene):
    request = _answered_request(scene)
    client.force_login(scene.coordinator)
    response = client.get(reverse("studies:feasibility_csv", args=[request.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="feasibility-{request.pk}.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "Site,ODS code,Status,Chosen,Interest,Local PI,Estimated participants a month,Capacity and capability,"
        "Clinical trials pharmacy,Imaging,Earliest start,Comments,Reach estimate (eligible patients),"
        "Capacity in its profile (a month),Reminders"
    )
    assert lines[1] == (
        "Northfield Trust,RX2,Answered,no,Possibly,Dr Ben Okafor,3,Yes,No,Yes,1 June 2027,—,Not known,20,"
        "No reminders sent"
    )
    assert lines[2].startswith("Shire Hospitals NHS Trust,RX1,Awaiting answer,no,No answer yet,")
    assert lines[2].endswith(f'20,416",5,Reminders sent: 7 days before ({TODAY:%-d %b})')


def test_the_api_gives_a_request_with_answers_and_totals(client, scene):
    request = _answered_request(scene)
    body = _api(client, scene.researcher, "get", f"/api/v1/feasibility/{request.pk}").json()
    assert body["totals"] == {"answered": 2, "interested": 1, "possibly": 1, "not_interested": 0, "monthly_total": 9}
    assert [(i["site_name"], i["status"], i["reminders"]) for i in body["invites"]] == [
        ("Northfield Trust", "answered", []),
        ("Shire Hospitals NHS Trust", "sent", [7]),
        ("University Hospitals Birmingham", "answered", []),
    ]
    assert body["invites"][2]["response"]["monthly_recruitment"] == 6
    assert [r["eligible"] for r in body["reach"]] == [None, 20_416, 20_416]
    listed = _api(client, scene.researcher, "get", f"/api/v1/studies/{scene.study.pk}/feasibility").json()
    assert [(r["id"], r["sites"], r["answered"]) for r in listed] == [(request.pk, 3, 2)]


# --- closing ------------------------------------------------------------------------------------------------------


def test_closing_records_the_chosen_sites_as_study_sites_and_tells_the_sites(
    client, scene, django_capture_on_commit_callbacks
):
    request = _answered_request(scene)
    mail.outbox.clear()
    client.force_login(scene.researcher)
    url = reverse("studies:feasibility_close", args=[request.pk])
    page = client.get(url)
    assert [i.site.name for i in page.context["choosable"]] == ["Northfield Trust", "University Hospitals Birmingham"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"sites": [str(scene.uhb.pk), str(scene.northfield.pk)], "decision_note": "Best reach and rate"}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decision_note, request.closed_at is not None) == (
        "closed",
        "Best reach and rate",
        True,
    )
    assert sorted(request.invites.values_list("site__name", "chosen")) == [
        ("Northfield Trust", True),
        ("Shire Hospitals NHS Trust", False),
        ("University Hospitals Birmingham", True),
    ]
    assert sorted(StudySite.objects.values_list("site__name", "status", "chosen_from", "study")) == [
        ("Northfield Trust", "selected", request.pk, scene.study.pk),
        ("University Hospitals Birmingham", "selected", request.pk, scene.study.pk),
    ]
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("rd@northfield.example.org", "[MHI Hub] Feasibility outcome: DIAB-3: chosen"),
        ("rd@shire.example.org", "[MHI Hub] Feasibility outcome: DIAB-3: not chosen this time"),
        ("rd@uhb.example.org", "[MHI Hub] Feasibility outcome: DIAB-3: chosen"),
    ]
    with pytest.raises(DomainError) as refused:
        feasibility.feasibility_close(user=scene.researcher, request=request, site_ids=[])
    assert refused.value.message == "This request is already closed."


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("shire", "Shire Hospitals NHS Trust did not answer that it is interested, so it cannot be chosen."),
        ("quiet", "Quiet Trust was not invited to this request."),
    ],
)
def test_only_invited_sites_that_answered_with_interest_can_be_chosen(client, scene, site, message):
    request = _answered_request(scene)
    client.force_login(scene.coordinator)
    response = client.post(
        reverse("studies:feasibility_close", args=[request.pk]), {"sites": [str(getattr(scene, site).pk)]}
    )
    assert response.context["form"].errors == {"sites": [message]}
    request.refresh_from_db()
    assert request.status == "open"
    assert StudySite.objects.count() == 0
    assert not request.invites.filter(chosen=True).exists()


def test_a_site_that_said_no_cannot_be_chosen_through_the_api(client, scene):
    request = _answered_request(scene)
    _answer(scene.nhs_rd, _invite(request, scene.uhb), interest="no")
    response = _api(
        client, scene.coordinator, "post", f"/api/v1/feasibility/{request.pk}/close", {"site_ids": [scene.uhb.pk]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "sites": ["University Hospitals Birmingham did not answer that it is interested, so it cannot be chosen."]
    }
    assert StudySite.objects.count() == 0


# --- the API: sending and suggestions ----------------------------------------------------------------------------


def test_the_api_sends_a_request_and_names_the_sites_with_nobody_to_email(client, scene):
    body = {"site_ids": [scene.uhb.pk, scene.quiet.pk], "deadline": (TODAY + 9 * DAY).isoformat()}
    response = _api(client, scene.coordinator, "post", f"/api/v1/studies/{scene.study.pk}/feasibility", body)
    assert response.status_code == 201
    assert response.json()["unreachable"] == ["Quiet Trust"]
    assert [i["site_name"] for i in response.json()["invites"]] == ["Quiet Trust", "University Hospitals Birmingham"]
    past = {**body, "deadline": (TODAY - DAY).isoformat()}
    refused = _api(client, scene.coordinator, "post", f"/api/v1/studies/{scene.study.pk}/feasibility", past)
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {
        "deadline": [f"The deadline must be in the future (after {TODAY:%-d %B %Y}); {TODAY - DAY:%-d %B %Y} is not."]
    }
    assert FeasibilityRequest.objects.count() == 1


def test_the_api_gives_the_suggestions_with_their_reasons(client, scene):
    body = _api(client, scene.researcher, "get", f"/api/v1/studies/{scene.study.pk}/site-suggestions?limit=1").json()
    assert body == [
        {
            "site": scene.uhb.pk,
            "site_name": "University Hospitals Birmingham",
            "site_ods_code": "RRK",
            "kind": "nhs_trust",
            "specialties": ["Diabetes"],
            "eligible": 20_416,
            "capacity": 10,
            "reasons": ["Specialty: Diabetes", "reach 20,416 eligible", "capacity 10 a month"],
            "reason": "Specialty: Diabetes; reach 20,416 eligible; capacity 10 a month",
        }
    ]


# --- two reminder runs at the same moment --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reminder_runs_at_the_same_moment_send_each_reminder_once(tmp_path):
    import threading

    from django.db import connection

    from tests.concurrency import file_database, thread_uses_file_database

    study = StudyFactory(title="Parallel", acronym="PAR")
    site = TrustFactory(name="Shire Hospitals NHS Trust", slug="shire", ods_code="RX1")
    SiteProfileFactory(organisation=site, rd_contact_email="rd@shire.example.org")
    request = FeasibilityRequestFactory(study=study, deadline=TODAY + 2 * DAY, reminder_days="7,2")
    FeasibilityInviteFactory(request=request, site=site)
    runs = 4
    with file_database(tmp_path):
        ready = threading.Barrier(runs)
        sent: list = []

        def run() -> None:
            thread_uses_file_database()
            try:
                ready.wait(timeout=30)
                sent.append(feasibility.feasibility_reminders_run())
            except Exception as exc:  # reported in the assertion, not lost in the thread
                sent.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(sent, key=str) == [0, 0, 0, 1]
        assert len(mail.outbox) == 1
        assert list(FeasibilityReminder.objects.values_list("days_before", flat=True)) == [2]
