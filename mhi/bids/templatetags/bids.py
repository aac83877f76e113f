"""Template filters for bids: stage tags, and who may start a bid or see cap use (for links on other apps'
pages, which do not know about bids)."""

from django import template

from mhi.bids.models import Stage

register = template.Library()

# GOV.UK tag colours, each with AA contrast for its text.
_STAGE_COLOURS = {
    Stage.IDEA: "govuk-tag--grey",
    Stage.EOI: "govuk-tag--light-blue",
    Stage.INTERNAL_SELECTION: "govuk-tag--purple",
    Stage.OUTLINE: "govuk-tag--blue",
    Stage.FULL_APPLICATION: "govuk-tag--turquoise",
    Stage.SUBMITTED: "govuk-tag--yellow",
    Stage.AWARDED: "govuk-tag--green",
    Stage.UNSUCCESSFUL: "govuk-tag--red",
    Stage.WITHDRAWN: "govuk-tag--grey",
}
_STAGE_LABELS = dict(Stage.choices)


@register.filter
def stage_tag_class(stage: str) -> str:
    return _STAGE_COLOURS.get(stage, "govuk-tag--grey")


@register.filter
def stage_label(stage: str) -> str:
    return _STAGE_LABELS.get(stage, stage)


@register.filter
def may_create_bid(user) -> bool:
    from mhi.bids.selectors import user_may_create_bid

    return bool(getattr(user, "is_authenticated", False)) and user_may_create_bid(user)


@register.filter
def may_see_cap_use(user) -> bool:
    from mhi.bids.selectors import user_may_see_cap_use

    return user_may_see_cap_use(user)


@register.filter
def is_overdue(bid, now) -> bool:
    return bid.is_overdue(now)
