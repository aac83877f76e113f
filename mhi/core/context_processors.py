"""Navigation shared by every page. Each module adds its entry here as it arrives."""

from django.urls import reverse

from mhi.accounts.selectors import roles_user_may_grant, user_is_coordinator


def navigation(request):
    # (label, url name, the other url names that highlight the entry)
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
        ("Organisations", "directory:organisations", {"directory:organisation", "directory:organisation_history"}),
        ("People", "directory:people", {"directory:person", "directory:person_edit"}),
        ("Partnership", "directory:partnership", set()),
        ("Map", "directory:map", set()),
    ]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        items.append(("API tokens", "accounts:tokens", set()))
        if roles_user_may_grant(user):
            items.append(("Invitations", "accounts:invitations", set()))
        if user_is_coordinator(user):
            items.append(("Enquiries", "enquiries:list", {"enquiries:detail", "enquiries:route", "enquiries:status"}))
            items.append(("Admin", "admin:index", set()))
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return {
        "nav_items": [
            {"label": label, "href": reverse(name), "active": current == name or current in under}
            for label, name, under in items
        ]
    }
