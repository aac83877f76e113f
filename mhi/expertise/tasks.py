"""Background tasks for expertise: importing a works or grants file, (re)building the semantic index."""

from django_tasks import task


@task()
def works_index_build() -> dict:
    """Every kind of document (works, impact case studies, opportunities, ...): words, then embeddings."""
    from mhi.expertise.engine.embedding import embedder
    from mhi.expertise.index import index_all

    reports = index_all(embedder=embedder())
    return {kind: {"seen": r.seen, "embedded": r.embedded, "unchanged": r.unchanged} for kind, r in reports.items()}


@task()
def works_import_run(*, job_id: int) -> str:
    """Import the job's file; a refused file leaves the job failed with its problems, nothing written."""
    from mhi.core.errors import ImportFailed
    from mhi.expertise.models import ImportJob
    from mhi.expertise.services import works_import_file

    job = ImportJob.objects.get(pk=job_id)
    try:
        report = works_import_file(
            path=job.file.path, format=job.format, skip_bad_records=job.skip_bad_records, job=job
        )
    except ImportFailed:
        return "failed"
    if report.created or report.updated:
        from mhi.expertise.index import index_changed

        index_changed()  # new works are found by their words at once, and by meaning once embedded
        works_index_build.enqueue()
    return "done"


@task()
def grants_import_run(*, job_id: int) -> str:
    """Import the job's grants file; a refused file leaves the job failed with its problems, nothing written.

    Grants are not in the index (their holders' works are), so nothing is rebuilt after it.
    """
    from mhi.core.errors import ImportFailed
    from mhi.expertise.grants import grants_import_file
    from mhi.expertise.models import ImportJob

    job = ImportJob.objects.get(pk=job_id)
    try:
        grants_import_file(path=job.file.path, format=job.format, skip_bad_records=job.skip_bad_records, job=job)
    except ImportFailed:
        return "failed"
    return "done"
