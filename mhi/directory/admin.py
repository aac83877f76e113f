from django.contrib import admin

from mhi.core.admin_site import AuditedModelAdmin, admin_site
from mhi.directory.models import Affiliation, Organisation, OrganisationRelation, PartnerInstitution, Person


class RelationInline(admin.TabularInline):
    model = OrganisationRelation
    fk_name = "subject"
    extra = 0
    autocomplete_fields = ["target"]


@admin.register(Organisation, site=admin_site)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "region", "ods_code", "ukprn", "ror_id"]
    list_filter = ["kind", "region", "infrastructure_type"]
    search_fields = ["name", "short_name", "ods_code", "ukprn", "ror_id", "ons_code"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["icb"]
    readonly_fields = ["reference_key"]


@admin.register(Person, site=admin_site)
class PersonAdmin(AuditedModelAdmin):
    list_display = ["display_name", "kind", "orcid", "public_profile_consent", "is_fictional"]
    list_filter = ["kind", "public_profile_consent", "is_fictional"]
    search_fields = ["given_name", "family_name", "orcid", "email"]
    prepopulated_fields = {"slug": ["given_name", "family_name"]}
    raw_id_fields = ["user"]


@admin.register(Affiliation, site=admin_site)
class AffiliationAdmin(AuditedModelAdmin):
    list_display = ["person", "organisation", "job_title", "department", "is_primary"]
    search_fields = ["person__family_name", "organisation__name", "department"]
    autocomplete_fields = ["person", "organisation"]


@admin.register(PartnerInstitution, site=admin_site)
class PartnerInstitutionAdmin(AuditedModelAdmin):
    list_display = ["organisation", "lead", "is_chair"]
    autocomplete_fields = ["organisation", "lead"]


@admin.register(OrganisationRelation, site=admin_site)
class OrganisationRelationAdmin(AuditedModelAdmin):
    list_display = ["subject", "kind", "target", "note"]
    list_filter = ["kind"]
    autocomplete_fields = ["subject", "target"]
