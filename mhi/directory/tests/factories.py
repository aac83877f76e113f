import factory

from mhi.directory.models import Affiliation, Organisation, PartnerInstitution, Person


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.UNIVERSITY


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    slug = factory.Sequence(lambda n: f"person-{n}")
    email = factory.LazyAttribute(lambda p: f"{p.slug}@example.org")
    public_profile_consent = True
    is_fictional = True


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    is_primary = True


class PartnerInstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerInstitution

    organisation = factory.SubFactory(OrganisationFactory)
