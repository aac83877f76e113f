"""mhi import-works FILE --format openalex|pubmed|jats|csv [--skip-bad-records]: import publications, all or nothing."""

from mhi.expertise.importers import READERS
from mhi.expertise.management.commands._import_command import FileImportCommand
from mhi.expertise.services import works_import_file


class Command(FileImportCommand):
    help = "Import works and their authors from an OpenAlex, PubMed XML, JATS (file or folder) or works CSV file."
    formats = list(READERS)
    unit = "records"
    file_help = "The file to import (OpenAlex .jsonl/.json/.gz, PubMed .xml, JATS)"
    import_file = staticmethod(works_import_file)
