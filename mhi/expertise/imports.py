"""Import jobs from the web and the API: who may import, starting a job, and the jobs a user may see.

The file is stored under MEDIA_ROOT (outside the web root, never served) and imported by a task, which
updates the job's counters and how far into the file it has read as it goes; the page polls them.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.core.errors import DomainError
from mhi.expertise.grants import GRANT_READERS
from mhi.expertise.importers import READERS
from mhi.expertise.models import ImportJob

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
# Works formats first, then grants; each is imported by its own task.
FORMATS = (*READERS, *GRANT_READERS)
SUFFIXES = {
    "openalex": (".json", ".jsonl", ".gz"),
    "pubmed": (".xml", ".gz"),
    "jats": (".xml",),
    "csv": (".csv",),
    "gtr": (".csv",),
}


def user_may_import(user) -> bool:
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))


def import_jobs_visible_to(*, user) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by")
    if user_is_coordinator(user):
        return qs
    if getattr(user, "is_authenticated", False):
        return qs.filter(created_by=user)
    return qs.none()


def import_job_percent_read(job: ImportJob) -> int | None:
    """How much of the job's file has been read, in whole percent rounded down (so 100 is all of it); None
    while its size is not known."""
    if not job.bytes_total:
        return None
    return min(100, job.bytes_read * 100 // job.bytes_total)


def import_job_start(*, user, upload, format: str, skip_bad_records: bool = False) -> ImportJob:
    """Store the uploaded file and queue its import; the job's counters show progress."""
    if not user_may_import(user):
        raise PermissionDenied("Only coordinators and institution admins import works and grants.")
    if format not in FORMATS:
        raise DomainError(
            f"“{format}” is not a works or grants format; choose one of {', '.join(FORMATS)}.", field="format"
        )
    name = upload.name or "upload"
    if not name.lower().endswith(SUFFIXES[format]):
        raise DomainError(
            f"“{name}” does not look like a {format} file: expected {', '.join(SUFFIXES[format])}.", field="file"
        )
    if upload.size == 0:
        raise DomainError(f"“{name}” is empty.", field="file")
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError(f"“{name}” is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", field="file")
    job = ImportJob(format=format, original_name=name[:255], skip_bad_records=skip_bad_records, created_by=user)
    job.file.save(name, upload, save=False)
    job.save()
    from mhi.expertise.tasks import grants_import_run, works_import_run

    run = grants_import_run if format in GRANT_READERS else works_import_run
    transaction.on_commit(lambda: run.enqueue(job_id=job.pk))
    return job
