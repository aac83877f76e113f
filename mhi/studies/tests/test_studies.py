"""Studies by hand: creating, editing with optimistic locking (service, page and API), planned sites, the list's
filters and commercial confidentiality."""

import datetime

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.studies import studies as services
from mhi.studies.models import Study, StudySite
from mhi.studies.tests.factories import RecruitmentEntryFactory, StudyFactory, StudySiteFactory, TrustFactory


@pytest.fixture
def coordinator(db):
    user = UserFactory(email="coord@example.org")
    MembershipFactory(user=user, role=Role.COORDINATOR, organisation=None)
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


@pytest.fixture
def researcher(db):
    user = UserFactory(email="res@nottingham.example.org")
    MembershipFactory(user=user, role=Role.RESEARCHER, organisation=OrganisationFactory(kind="university"))
    return user


@pytest.fixture
def uhb(db):
    return TrustFactory(name="University Hospitals Birmingham NHS Foundation Trust", ods_code="RRK", slug="uhb")


@pytest.fixture
def rd_uhb(db, uhb):
    user = UserFactory(email="rd@uhb.example.org")
    MembershipFactory(user=user, role=Role.NHS_RD, organisation=uhb)
    return user


def test_create_a_study_by_hand(researcher):
    study = services.study_create(
        user=researcher,
        fields={"title": "  A trial  of walking ", "conditions": ["Type 2 diabetes", " Obesity "], "phase": "3"},
    )
    assert (study.title, study.conditions, study.phase, study.owner, study.version) == (
        "A trial of walking",
        "Type 2 diabetes\nObesity",
        "3",
        researcher,
        1,
    )
    assert AuditEvent.objects.filter(action="create", object_id=str(study.pk)).count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Enter the study's title."),
        ({"title": "T", "nct_id": "NCT123"}, "nct_id", "“NCT123” is not an NCT number (NCT followed by 8 digits)."),
        ({"title": "T", "target_recruitment": -5}, "target_recruitment", "The target recruitment cannot be negative."),
        (
            {"title": "T", "phase": "5"},
            "phase",
            "“5” is not a phase; choose one of not applicable, early phase 1, "
            "phase 1, phase 1/2, phase 2, phase 2/3, phase 3, phase 4.",
        ),
        (
            {"title": "T", "start_date": "2027-03-01", "end_date": "2027-01-31"},
            "end_date",
            "The planned end of recruitment (31 January 2027) is before the planned start (01 March 2027).",
        ),
        (
            {"title": "T", "eligibility_fraction": "1.5"},
            "eligibility_fraction",
            "The eligibility fraction must be between 0 and 1, like 0.25.",
        ),
    ],
)
def test_bad_values_are_refused_with_the_field_named(researcher, fields, field, message):
    with pytest.raises(DomainError) as caught:
        services.study_create(user=researcher, fields=fields)
    assert (caught.value.field, caught.value.message) == (field, message)
    assert Study.objects.count() == 0


def test_an_nct_number_is_used_once(researcher):
    StudyFactory(nct_id="NCT01207388")
    with pytest.raises(DomainError) as caught:
        services.study_create(user=researcher, fields={"title": "T", "nct_id": "nct01207388"})
    assert caught.value.message == "NCT01207388 is already the NCT number of another study in the hub."


def test_update_raises_the_version_and_records_the_change(researcher):
    study = StudyFactory(owner=researcher, title="Old")
    services.study_update(user=researcher, study=study, version=1, fields={"title": "New", "target_recruitment": 120})
    study.refresh_from_db()
    assert (study.title, study.target_recruitment, study.version) == ("New", 120, 2)
    assert AuditEvent.objects.get(action="update", object_id=str(study.pk)).changes == {
        "title": ["Old", "New"],
        "target_recruitment": [300, 120],
    }


def test_an_unchanged_save_writes_nothing(researcher):
    study = StudyFactory(owner=researcher, title="Same")
    services.study_update(user=researcher, study=study, version=1, fields={"title": "Same"})
    study.refresh_from_db()
    assert study.version == 1
    assert not AuditEvent.objects.filter(action="update").exists()


def test_a_stale_edit_is_a_conflict_with_both_versions(researcher, coordinator):
    study = StudyFactory(owner=researcher, title="Original", target_recruitment=300)
    services.study_update(user=coordinator, study=study, version=1, fields={"title": "Coordinator's title"})
    with pytest.raises(services.StudyConflict) as caught:
        services.study_update(
            user=researcher, study=study, version=1, fields={"title": "Researcher's title", "target_recruitment": 300}
        )
    conflict = caught.value
    assert conflict.current == {"title": "Coordinator's title", "target_recruitment": 300}
    assert conflict.submitted == {"title": "Researcher's title", "target_recruitment": 300}
    assert (conflict.current_version, conflict.submitted_version, conflict.fields) == (2, 1, ["title"])
    assert conflict.message == (
        "Someone else changed this study while you were editing it (you started from version 1; it is now version "
        "2). Their values differ from yours in: title. Check both versions and save again."
    )
    study.refresh_from_db()
    assert (study.title, study.version) == ("Coordinator's title", 2)


def test_only_managers_edit(researcher, rd_uhb):
    study = StudyFactory(owner=researcher)
    with pytest.raises(PermissionDenied) as caught:
        services.study_update(user=rd_uhb, study=study, version=1, fields={"title": "Mine now"})
    assert caught.value.message == "Only coordinators and the study's owner change a study and its sites."


def test_the_edit_page_shows_a_conflict_side_by_side(client, researcher, coordinator):
    study = StudyFactory(owner=researcher, title="Original", phase="3")
    client.force_login(researcher)
    form = client.get(reverse("studies:edit", args=[study.pk])).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    services.study_update(user=coordinator, study=study, version=1, fields={"title": "Coordinator's title"})
    data["title"] = "Researcher's title"
    response = client.post(reverse("studies:edit", args=[study.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this study while you were editing it" in html
    assert "Researcher&#x27;s title" in html and "Coordinator&#x27;s title" in html
    assert response.context["rows"][0] == {
        "label": "Title",
        "yours": "Researcher's title",
        "current": "Coordinator's title",
        "differs": True,
    }
    assert Study.objects.get(pk=study.pk).title == "Coordinator's title"


def test_the_api_put_answers_409_with_current_and_submitted(client, researcher, coordinator):
    study = StudyFactory(owner=researcher, title="Original")
    services.study_update(user=coordinator, study=study, version=1, fields={"title": "Coordinator's title"})
    client.force_login(researcher)
    response = client.put(
        f"/api/v1/studies/{study.pk}",
        {"title": "Researcher's title", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 409
    fields = response.json()["error"]["fields"]
    assert fields["current"]["title"] == "Coordinator's title"
    assert fields["submitted"]["title"] == "Researcher's title"
    assert (fields["current_version"], fields["submitted_version"]) == (2, 1)
    assert "title" in fields


def test_status_change(researcher):
    study = StudyFactory(owner=researcher)
    services.study_status_set(user=researcher, study=study, status="recruiting")
    study.refresh_from_db()
    assert (study.status, study.version) == ("recruiting", 2)


# --- sites -------------------------------------------------------------------------------------------------------


def test_sites_must_be_trusts_or_research_infrastructure(researcher):
    study = StudyFactory(owner=researcher)
    university = OrganisationFactory(name="Aston University", kind="university")
    with pytest.raises(DomainError) as caught:
        services.study_site_add(user=researcher, study=study, site=university)
    assert caught.value.message == (
        "Aston University is university; a study site must be an NHS trust or a research infrastructure organisation."
    )


def test_add_update_and_remove_a_site(researcher, uhb):
    study = StudyFactory(owner=researcher)
    row = services.study_site_add(user=researcher, study=study, site=uhb, target=40, monthly_target=4)
    assert (row.status, row.target, row.monthly_target) == ("planned", 40, 4)
    with pytest.raises(DomainError) as caught:
        services.study_site_add(user=researcher, study=study, site=uhb)
    assert (
        caught.value.message == "University Hospitals Birmingham NHS Foundation Trust is already a site of this study."
    )
    with pytest.raises(DomainError) as caught:
        services.study_site_update(user=researcher, study_site=row, fields={"target": -1})
    assert caught.value.message == "The recruitment target cannot be negative."
    services.study_site_update(user=researcher, study_site=row, fields={"status": "open", "opened_on": "2026-01-01"})
    row.refresh_from_db()
    assert (row.status, row.opened_on) == ("open", datetime.date(2026, 1, 1))
    services.study_site_remove(user=researcher, study_site=row)
    assert StudySite.objects.count() == 0


def test_a_site_with_recruitment_cannot_be_removed(researcher):
    row = StudySiteFactory(study=StudyFactory(owner=researcher))
    RecruitmentEntryFactory(study_site=row)
    with pytest.raises(DomainError) as caught:
        services.study_site_remove(user=researcher, study_site=row)
    assert caught.value.message == (
        f"{row.site.name} has recruitment recorded for this study, so it stays; mark it closed or withdrawn instead."
    )


def test_study_sites_set_adds_and_moves_planned_to_selected(researcher, coordinator, uhb):
    study = StudyFactory(owner=researcher)
    other = TrustFactory()
    planned = StudySiteFactory(study=study, site=uhb, status="planned")
    opened = StudySiteFactory(study=study, site=TrustFactory(), status="open")
    rows = services.study_sites_set(user=coordinator, study=study, site_ids=[uhb.pk, other.pk, opened.site_id])
    assert [r.site_id for r in rows] == [uhb.pk, other.pk, opened.site_id]
    planned.refresh_from_db()
    opened.refresh_from_db()
    assert (planned.status, opened.status) == ("selected", "open")
    assert StudySite.objects.get(study=study, site=other).status == "selected"
    # setting "planned" again never moves a selected site back
    services.study_sites_set(user=coordinator, study=study, site_ids=[uhb.pk], status="planned")
    planned.refresh_from_db()
    assert planned.status == "selected"


# --- list and confidentiality -------------------------------------------------------------------------------------


def test_the_list_filters(researcher):
    StudyFactory(title="Walking in diabetes", conditions="Type 2 diabetes", phase="3", status="recruiting")
    StudyFactory(title="Asthma inhaler", conditions="Asthma", phase="2", sponsor_class="nhs")
    StudyFactory(title="Secret device", conditions="Asthma", sponsor_class="commercial")

    def titles(**filters):
        return [s.title for s in services.studies_search(user=researcher, filters=services.StudyFilters(**filters))]

    assert titles(condition="asthma") == ["Asthma inhaler"]
    assert titles(q="walking") == ["Walking in diabetes"]
    assert titles(phase="2") == ["Asthma inhaler"]
    assert titles(sponsor_class="nhs") == ["Asthma inhaler"]
    assert titles(status="recruiting") == ["Walking in diabetes"]
    assert titles(sponsor_class="commercial") == []


def test_a_commercial_study_does_not_exist_for_outsiders(client, researcher, rd_uhb, uhb):
    study = StudyFactory(title="Secret device", sponsor_class="commercial", owner=UserFactory())
    client.force_login(researcher)
    assert client.get(reverse("studies:detail", args=[study.pk])).status_code == 404
    assert client.get(f"/api/v1/studies/{study.pk}").status_code == 404
    assert "Secret device" not in client.get(reverse("studies:list")).content.decode()
    client.force_login(rd_uhb)
    assert client.get(reverse("studies:detail", args=[study.pk])).status_code == 404
    StudySiteFactory(study=study, site=uhb, status="planned")
    response = client.get(reverse("studies:detail", args=[study.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confidential: commercial study" in html
    assert "Edit the study" not in html
    assert client.get(reverse("studies:edit", args=[study.pk])).status_code == 403


def test_the_detail_page_links_to_the_study_pages_each_user_may_use(client, researcher):
    study = StudyFactory(owner=researcher)
    reader = UserFactory()
    MembershipFactory(user=reader, role=Role.RESEARCHER, organisation=OrganisationFactory(kind="university"))
    client.force_login(researcher)
    owner_links = client.get(reverse("studies:detail", args=[study.pk])).context["links"]
    client.force_login(reader)
    reader_page = client.get(reverse("studies:detail", args=[study.pk]))

    assert [(link["label"], link["url"]) for link in owner_links] == [
        ("Send a feasibility request", f"/studies/{study.pk}/feasibility/new/"),
        ("Reach estimates by site", f"/studies/{study.pk}/reach/"),
        ("Site placement", f"/studies/{study.pk}/placement/"),
        ("Recruitment", f"/studies/{study.pk}/recruitment/"),
    ]
    assert [link["label"] for link in reader_page.context["links"]] == ["Reach estimates by site", "Recruitment"]
    assert "Edit the study" not in reader_page.content.decode()
    assert "Feasibility requests" not in reader_page.content.decode()


def test_the_detail_page_sums_up_recruitment_and_lists_feasibility_requests_for_managers(client, researcher):
    from mhi.studies.tests.factories import FeasibilityInviteFactory, FeasibilityRequestFactory

    study = StudyFactory(owner=researcher, target_recruitment=240)
    site = StudySiteFactory(study=study, target=100)
    RecruitmentEntryFactory(study_site=site, month=datetime.date(2026, 1, 1), recruited=7)
    request = FeasibilityRequestFactory(study=study, deadline=datetime.date(2027, 1, 15))
    FeasibilityInviteFactory(request=request, status="answered")
    FeasibilityInviteFactory(request=request)
    client.force_login(researcher)

    page = client.get(reverse("studies:detail", args=[study.pk]))

    assert page.context["recruitment"].total == 7
    assert "7 recruited of 240" in page.content.decode()
    [listed] = page.context["feasibility_requests"]
    assert (listed.pk, listed.invite_count, listed.answered_count) == (request.pk, 2, 1)
    assert f'href="/studies/feasibility/{request.pk}/"' in page.content.decode()


def test_the_create_page(client, researcher):
    client.force_login(researcher)
    response = client.post(
        reverse("studies:create"),
        {
            "title": "A trial",
            "phase": "2",
            "study_type": "interventional",
            "sponsor_class": "academic",
            "status": "setup",
            "conditions": "Asthma",
        },
    )
    study = Study.objects.get()
    assert response.status_code == 302 and response["Location"] == study.get_absolute_url()
    assert (study.title, study.owner, study.phase) == ("A trial", researcher, "2")


def test_the_sites_page_adds_a_site(client, researcher, uhb):
    study = StudyFactory(owner=researcher)
    client.force_login(researcher)
    response = client.post(
        reverse("studies:sites_manage", args=[study.pk]),
        {"action": "add", "add-site": uhb.pk, "add-status": "planned", "add-target": "30"},
    )
    assert response.status_code == 302
    assert StudySite.objects.get().target == 30
