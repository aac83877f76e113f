"""Background tasks for expertise: (re)building the semantic index."""

from django_tasks import task


@task()
def works_index_build() -> dict:
    from mhi.expertise.engine.embedding import embedder
    from mhi.expertise.index import works_index

    report = works_index(embedder=embedder())
    return {"seen": report.seen, "embedded": report.embedded, "unchanged": report.unchanged, "removed": report.removed}
