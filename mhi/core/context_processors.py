"""Navigation shared by every page. Modules add their entry here as they arrive."""

from django.urls import reverse

from mhi.accounts.selectors import user_is_coordinator


def navigation(request):
    items = [
        ("Home", reverse("home"), "home"),
        ("Organisations", reverse("directory:organisations"), "organisations"),
        ("People", reverse("directory:people"), "people"),
        ("Partnership", reverse("directory:partnership"), "partnership"),
        ("Map", reverse("directory:map"), "map"),
    ]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        items.append(("API tokens", reverse("accounts:tokens"), "tokens"))
        if user_is_coordinator(user) or user_admin(user):
            items.append(("Invitations", reverse("accounts:invitations"), "invitations"))
        if user_is_coordinator(user):
            items.append(("Admin", reverse("admin:index"), "admin"))
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else ""
    return {
        "nav_items": [
            {"label": label, "href": href, "active": key == current or (key != "home" and key in current)}
            for label, href, key in items
        ]
    }


def user_admin(user) -> bool:
    from mhi.accounts.selectors import user_admin_organisation_ids

    return bool(user_admin_organisation_ids(user))
