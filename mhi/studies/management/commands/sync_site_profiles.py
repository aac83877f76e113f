"""mhi sync-site-profiles: a blank research profile for every NHS trust and research infrastructure organisation
that has none (idempotent; specialties seeded from the reference data's themes)."""

from django.core.management.base import BaseCommand

from mhi.studies.sites import site_profiles_sync


class Command(BaseCommand):
    help = "Create a blank research profile for every site (trust or research infrastructure) without one."

    def handle(self, *args, **options):
        report = site_profiles_sync()
        self.stdout.write(report.summary())
