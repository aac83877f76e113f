"""Template filters for joint responses, for links on other apps' pages (which do not know about responses) and
for the workspace's own pages."""

from django import template

register = template.Library()


@register.filter
def may_create_response(user) -> bool:
    """Whether the user may start a joint response (coordinators)."""
    from mhi.responses.access import may_create_response as allowed

    return allowed(user)


@register.filter
def response_status_tag(status: str) -> str:
    """The GOV.UK tag colour of a response's status (each with AA contrast for its text)."""
    return {
        "drafting": "govuk-tag--blue",
        "sign_off": "govuk-tag--yellow",
        "locked": "govuk-tag--green",
        "published": "govuk-tag--turquoise",
        "withdrawn": "govuk-tag--grey",
    }.get(status, "govuk-tag--grey")
