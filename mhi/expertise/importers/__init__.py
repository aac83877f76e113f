"""Readers for the publication formats the field uses. Each turns a file into a stream of WorkRecords
(a generator, so a file of any size is read in bounded memory); `mhi.expertise.services.works_import_file`
checks and writes them."""

from collections.abc import Callable
from pathlib import Path

from mhi.expertise.importers.base import RecordStream
from mhi.expertise.importers.csv_works import csv_works_records
from mhi.expertise.importers.jats import jats_records
from mhi.expertise.importers.openalex import openalex_records
from mhi.expertise.importers.pubmed import pubmed_records

READERS: dict[str, Callable[[Path], RecordStream]] = {
    "openalex": openalex_records,
    "pubmed": pubmed_records,
    "jats": jats_records,
    "csv": csv_works_records,
}
