"""mhi import-grants FILE --format gtr [--skip-bad-records]: import funders' projects as grants, all or nothing."""

from mhi.expertise.grants import GRANT_READERS, grants_import_file
from mhi.expertise.management.commands._import_command import FileImportCommand


class Command(FileImportCommand):
    help = "Import grants and their principal investigators from a Gateway to Research projects CSV."
    formats = list(GRANT_READERS)
    unit = "rows"
    file_help = "The file to import (a GtR project-search export, .csv)"
    import_file = staticmethod(grants_import_file)
