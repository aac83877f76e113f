"""Navigation shared by every page. Each module adds its entry here as it arrives."""

from django.urls import reverse

from mhi.accounts.selectors import roles_user_may_grant, user_is_coordinator
from mhi.studies.access import user_site_ids


def navigation(request):
    # (label, url name, the other url names that highlight the entry — or a URL namespace, all of whose pages do,
    # or (a namespace, the names in it that another entry highlights))
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    items = [
        ("Home", "home", set()),
        ("Find expertise", "expertise:find", {"expertise:export", "expertise:person", "expertise:organisation"}),
        (
            "Opportunities",
            "opportunities:list",
            {
                "opportunities:detail",
                "opportunities:create",
                "opportunities:edit",
                "opportunities:delete",
                "opportunities:import",
                "opportunities:feeds",
                "opportunities:feed",
                "opportunities:feed_create",
            },
        ),
        # Anonymous visitors see the awarded bids, the only public part of the pipeline.
        ("Bids", "bids:list" if signed_in else "bids:awarded", "bids"),
        ("Resources", "resources:list", "resources"),
        # Studies' lists are for signed-in users; anyone may read the sites' research profiles.
        (
            "Studies",
            "studies:list" if signed_in else "studies:sites",
            ("studies", {"studies:invites", "studies:invite"}),
        ),
        # Drafts are for partners; the public reads the published responses.
        ("Responses", "responses:list" if signed_in else "responses:published", "responses"),
        ("Organisations", "directory:organisations", {"directory:organisation", "directory:organisation_history"}),
        ("People", "directory:people", {"directory:person", "directory:person_edit"}),
        ("Partnership", "directory:partnership", set()),
        ("Map", "directory:map", set()),
    ]
    if signed_in and user_site_ids(user):
        # NHS R&D users answer their own site's feasibility requests.
        items.insert(7, ("Feasibility inbox", "studies:invites", {"studies:invite"}))
    if signed_in:
        items.append(("API tokens", "accounts:tokens", set()))
        if roles_user_may_grant(user):
            items.append(("Invitations", "accounts:invitations", set()))
        if user_is_coordinator(user):
            items.append(("Enquiries", "enquiries:list", {"enquiries:detail", "enquiries:route", "enquiries:status"}))
            items.append(("Admin", "admin:index", set()))
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    namespace = match.namespace if match else ""

    def active(name, under) -> bool:
        if isinstance(under, tuple):  # (a namespace, names in it that belong to another entry)
            return namespace == under[0] and current not in under[1]
        if isinstance(under, str):
            return namespace == under
        return current == name or current in under

    return {
        "nav_items": [
            {"label": label, "href": reverse(name), "active": active(name, under)} for label, name, under in items
        ]
    }
