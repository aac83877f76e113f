"""Patient-based research in the admin, for coordinators. Site profiles, studies and the prevalence table are
edited here as on their pages (audited); feasibility requests and recruitment change only through their services
(deadlines, the site's own answers, one entry per month), so the admin shows them and changes nothing."""

from django.contrib import admin

from mhi.core.admin_site import AuditedModelAdmin, ViewOnlyAdmin, admin_site
from mhi.studies.models import FeasibilityRequest, PrevalenceFigure, RecruitmentEntry, SiteProfile, Study


@admin.register(SiteProfile, site=admin_site)
class SiteProfileAdmin(AuditedModelAdmin):
    list_display = ["organisation", "monthly_capacity", "beds", "has_imaging", "has_pharmacy", "is_demo"]
    list_filter = ["has_imaging", "has_pharmacy", "has_laboratory", "is_demo"]
    search_fields = ["organisation__name", "specialties"]
    raw_id_fields = ["organisation", "updated_by"]


@admin.register(Study, site=admin_site)
class StudyAdmin(AuditedModelAdmin):
    list_display = ["title", "nct_id", "phase", "sponsor_class", "status", "target_recruitment"]
    list_filter = ["sponsor_class", "status", "phase", "source"]
    search_fields = ["title", "acronym", "nct_id", "conditions", "sponsor_name"]
    raw_id_fields = ["owner", "chief_investigator_person"]
    exclude = ["version"]


@admin.register(PrevalenceFigure, site=admin_site)
class PrevalenceFigureAdmin(AuditedModelAdmin):
    list_display = ["condition", "area_code", "area_name", "percent", "year", "indicative"]
    list_filter = ["indicative", "condition_key"]
    search_fields = ["condition", "area_name", "area_code"]
    raw_id_fields = ["loaded_by"]


@admin.register(FeasibilityRequest, site=admin_site)
class FeasibilityRequestAdmin(ViewOnlyAdmin):
    list_display = ["study", "deadline", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["study", "created_by"]


@admin.register(RecruitmentEntry, site=admin_site)
class RecruitmentEntryAdmin(ViewOnlyAdmin):
    list_display = ["study_site", "month", "recruited", "source", "entered_by"]
    list_filter = ["source"]
    raw_id_fields = ["study_site", "entered_by"]
