"""Reports over the bids a user may see: the partnership pipeline (count and value by stage and institution)
and success rates by funder, scheme or institution over time.

Both read only through `selectors.bids_filtered`, so a report never counts a bid its reader may not open.
Money is Decimal pounds; a bid with no value requested counts as £0 in the pipeline's value.

Success rate = awarded / (awarded + unsuccessful). A bid counts in the year (Europe/London) of the StageChange
that moved it into its outcome; withdrawn bids are not decided and are not counted, nor are bids still open.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum

from mhi.bids import selectors
from mhi.bids.models import STAGE_ORDER, Bid, Stage, StageChange
from mhi.core.errors import DomainError
from mhi.directory.models import Organisation
from mhi.opportunities.dates import to_london

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")
STAGE_LABELS = dict(Stage.choices)


# --- the pipeline ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRow:
    stage: str
    institution: Organisation  # the bid's lead organisation
    count: int
    value: Decimal  # sum of value requested

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]


@dataclass(frozen=True)
class StageTotal:
    stage: str
    count: int
    value: Decimal

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]


@dataclass(frozen=True)
class InstitutionTotal:
    institution: Organisation
    count: int
    value: Decimal


@dataclass
class PipelineSummary:
    rows: list[PipelineRow]  # in pipeline order of stage, then institution name; only non-empty cells
    by_stage: list[StageTotal]  # every stage in pipeline order, zero when it has no bids
    by_institution: list[InstitutionTotal]  # institutions leading at least one bid, by name
    count: int = 0
    value: Decimal = ZERO
    stages: list[str] = field(default_factory=lambda: list(STAGE_ORDER))

    def cell(self, stage: str, institution_id: int) -> PipelineRow | None:
        """The row for one (stage, institution), for a table with stages across and institutions down."""
        for row in self.rows:
            if row.stage == stage and row.institution.pk == institution_id:
                return row
        return None


def _money(value) -> Decimal:
    return (value or ZERO).quantize(ZERO)


def _visible_ids(*, user, filters):
    # Aggregating over the ids (not over bids_filtered itself) keeps the joins its filters need (partners,
    # team) from counting a bid twice, and drops its ordering from the GROUP BY.
    return selectors.bids_filtered(user=user, filters=filters).order_by().values("pk")


def pipeline_summary(*, user, filters) -> PipelineSummary:
    """Count and value requested of the bids the user may see, by stage and lead institution."""
    grouped = (
        Bid.objects.filter(pk__in=_visible_ids(user=user, filters=filters))
        .order_by()
        .values("stage", "lead_organisation")
        .annotate(count=Count("pk"), value=Sum("value_requested"))
    )
    cells = [(g["stage"], g["lead_organisation"], g["count"], _money(g["value"])) for g in grouped]
    institutions = Organisation.objects.in_bulk({org_id for _, org_id, _, _ in cells})
    position = {stage: i for i, stage in enumerate(STAGE_ORDER)}
    rows = sorted(
        (PipelineRow(stage, institutions[org_id], count, value) for stage, org_id, count, value in cells),
        key=lambda r: (position[r.stage], r.institution.name, r.institution.pk),
    )
    stage_count: dict[str, int] = defaultdict(int)
    stage_value: dict[str, Decimal] = defaultdict(lambda: ZERO)
    org_count: dict[int, int] = defaultdict(int)
    org_value: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        stage_count[row.stage] += row.count
        stage_value[row.stage] += row.value
        org_count[row.institution.pk] += row.count
        org_value[row.institution.pk] += row.value
    by_stage = [StageTotal(s, stage_count[s], stage_value[s]) for s in STAGE_ORDER]
    by_institution = sorted(
        (InstitutionTotal(institutions[pk], org_count[pk], org_value[pk]) for pk in org_count),
        key=lambda t: (t.institution.name, t.institution.pk),
    )
    return PipelineSummary(
        rows=rows,
        by_stage=by_stage,
        by_institution=by_institution,
        count=sum(stage_count.values()),
        value=sum(stage_value.values(), ZERO),
    )


# --- success rates --------------------------------------------------------------------------------------------

RATE_GROUPINGS = ("funder", "scheme", "institution")
NO_SCHEME = "No scheme given"


@dataclass(frozen=True)
class RateRow:
    key: str  # the funder's name, the scheme, or the lead institution's name
    year: int  # of the decision, in Europe/London
    decided: int  # awarded + unsuccessful
    awarded: int
    rate: Decimal  # awarded / decided, 0 to 1, to 4 places
    value_awarded: Decimal

    @property
    def unsuccessful(self) -> int:
        return self.decided - self.awarded

    @property
    def percent(self) -> Decimal:
        """The rate as a percentage to one place: Decimal("66.7")."""
        return (self.rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _rate_key(bid: Bid, by: str) -> str:
    if by == "funder":
        return bid.opportunity.funder_name
    if by == "scheme":
        return bid.opportunity.scheme or NO_SCHEME
    return bid.lead_organisation.name


def success_rates(*, user, by: str, filters) -> list[RateRow]:
    """Decided bids the user may see, grouped by `by` ("funder", "scheme" or "institution") and the year of
    their outcome, sorted by key then year."""
    if by not in RATE_GROUPINGS:
        raise DomainError(f"“{by}” is not a grouping; choose one of {', '.join(RATE_GROUPINGS)}.", field="by")
    decided_stages = [Stage.AWARDED, Stage.UNSUCCESSFUL]
    changes = (
        StageChange.objects.filter(
            bid__in=_visible_ids(user=user, filters=filters), to_stage__in=decided_stages, bid__stage__in=decided_stages
        )
        .select_related("bid__opportunity", "bid__lead_organisation")
        .order_by("at", "pk")
    )
    # Outcomes are final, but should a bid have two moves into one, its latest is when it was decided.
    latest: dict[int, StageChange] = {}
    for change in changes:
        if change.to_stage == change.bid.stage:
            latest[change.bid_id] = change
    groups: dict[tuple[str, int], list[Bid]] = defaultdict(list)
    for change in latest.values():
        groups[(_rate_key(change.bid, by), to_london(change.at).year)].append(change.bid)
    rows = []
    for (key, year), bids in sorted(groups.items()):
        awarded = [b for b in bids if b.stage == Stage.AWARDED]
        rate = (Decimal(len(awarded)) / Decimal(len(bids))).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
        value = sum((_money(b.value_awarded) for b in awarded), ZERO)
        rows.append(RateRow(key, year, len(bids), len(awarded), rate, value))
    return rows
