"""The Django admin: open to coordinators only, and every change made there goes into the audit trail."""

from urllib.parse import quote

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from mhi.accounts.models import Membership
from mhi.core.admin_site import admin_site
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from tests.personas import PERSONAS, client_for

REGISTERED = sorted(model._meta.label for model in admin_site._registry)
# Records that are made elsewhere (the invitations page, the tokens page, the audit trail itself).
NO_ADD_PAGE = {
    "core.AuditEvent",
    "accounts.Invitation",
    "accounts.ApiToken",
    # Changed only through their services (stage rules, cap places, overlap checks): shown, not added.
    "bids.Bid",
    "bids.BidEvent",
    "bids.CapPlace",
    "bids.SelectionRound",
    "resources.Booking",
    "resources.WaitlistEntry",
    "responses.Approval",
    "responses.Response",
    "studies.FeasibilityRequest",
    "studies.RecruitmentEntry",
}
NOT_COORDINATORS = [p for p in PERSONAS if p != "coordinator"]


def _admin_url(label, page):
    app_label, model_name = label.lower().split(".")
    return reverse(f"admin:{app_label}_{model_name}_{page}")


def _change_form_data(response):
    """The change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def _inline_form_data(response):
    """Every inline formset's management form and existing rows, as the browser would post them back."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for form in formset.initial_forms:
            for name in form.fields:
                value = form[name].value()
                if value is not None and value is not False:
                    data[form.add_prefix(name)] = value
    return data


def test_registered_models_are_the_ones_we_expect():
    assert REGISTERED == [
        "accounts.ApiToken",
        "accounts.Invitation",
        "accounts.Membership",
        "accounts.User",
        "bids.Bid",
        "bids.BidEvent",
        "bids.CapPlace",
        "bids.SelectionRound",
        "core.AuditEvent",
        "directory.Affiliation",
        "directory.Organisation",
        "directory.OrganisationRelation",
        "directory.PartnerInstitution",
        "directory.Person",
        "resources.Booking",
        "resources.Induction",
        "resources.InductionClass",
        "resources.InductionEquivalence",
        "resources.Resource",
        "resources.TrainingRequest",
        "resources.WaitlistEntry",
        "responses.Approval",
        "responses.Response",
        "studies.FeasibilityRequest",
        "studies.PrevalenceFigure",
        "studies.RecruitmentEntry",
        "studies.SiteProfile",
        "studies.Study",
    ]


def test_coordinator_opens_the_admin_index(client, world):
    client.force_login(world.users["coordinator"])

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.context["site_header"] == "MHI Hub administration"
    assert len(response.context["app_list"]) == 7


@pytest.mark.parametrize("label", REGISTERED)
def test_coordinator_opens_the_changelist(client, world, label):
    client.force_login(world.users["coordinator"])

    response = client.get(_admin_url(label, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("label", REGISTERED)
def test_coordinator_opens_the_add_page_where_there_is_one(client, world, label):
    client.force_login(world.users["coordinator"])

    response = client.get(_admin_url(label, "add"))

    assert response.status_code == (403 if label in NO_ADD_PAGE else 200)


@pytest.mark.parametrize("persona", NOT_COORDINATORS)
@pytest.mark.parametrize("page", ["changelist", "add"])
@pytest.mark.parametrize("label", REGISTERED)
def test_everyone_else_is_sent_to_the_admin_login(client, world, label, page, persona):
    client = client_for(client, world, persona)
    url = _admin_url(label, page)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={quote(url)}"


@pytest.mark.parametrize("persona", NOT_COORDINATORS)
def test_everyone_else_is_sent_from_the_admin_index_to_the_admin_login(client, world, persona):
    client = client_for(client, world, persona)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={quote(reverse('admin:index'))}"


def test_coordinator_editing_an_organisation_is_audited(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("admin:directory_organisation_change", args=[world.aston.pk])
    data = _change_form_data(client.get(url))
    data["short_name"] = "Aston"

    response = client.post(url, {**data, "_save": "Save"})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:directory_organisation_changelist")
    assert Organisation.objects.get(pk=world.aston.pk).short_name == "Aston"
    event = AuditEvent.objects.get(
        content_type=ContentType.objects.get_for_model(Organisation), object_id=str(world.aston.pk)
    )
    assert event.actor == world.users["coordinator"]
    assert event.action == "update"
    assert event.source == "admin"
    assert event.changes == {"short_name": ["", "Aston"]}


def test_saving_an_organisation_unchanged_in_the_admin_records_nothing(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("admin:directory_organisation_change", args=[world.aston.pk])
    data = _change_form_data(client.get(url))

    response = client.post(url, {**data, "_save": "Save"})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Organisation)).count() == 0


def test_coordinator_granting_a_role_on_the_users_admin_page_is_audited(client, world):
    researcher = world.users["researcher"]
    client.force_login(world.users["coordinator"])
    url = reverse("admin:accounts_user_change", args=[researcher.pk])
    page = client.get(url)
    data = {**_change_form_data(page), **_inline_form_data(page)}
    total = int(data["memberships-TOTAL_FORMS"])
    data.update(
        {
            "memberships-TOTAL_FORMS": str(total + 1),
            f"memberships-{total}-role": "institution_admin",
            f"memberships-{total}-organisation": str(world.aston.pk),
        }
    )

    response = client.post(url, {**data, "_save": "Save"})

    assert response.status_code == 302
    granted = Membership.objects.get(user=researcher, role="institution_admin")
    assert granted.organisation == world.aston
    event = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Membership), object_id=str(granted.pk)
    ).first()
    assert event is not None, "a role granted in the admin left no audit event"
    assert (event.action, event.actor) == ("create", world.users["coordinator"])
