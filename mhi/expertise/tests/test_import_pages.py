from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mhi.directory.tests.factories import PersonFactory
from mhi.expertise.models import Authorship, ImportJob, Work

DATA = Path(__file__).parent / "data"


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_admin_uploads_a_file_and_the_task_imports_it(
    client, world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["aston_admin"])
    content = (DATA / "openalex_works.jsonl").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("expertise:imports"), {"format": "openalex", "file": _upload("works.jsonl", content)}
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("expertise:import_job", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.records_seen, job.created) == ("done", 6, 6)
    assert (job.bytes_read, job.bytes_total) == (len(content), len(content))
    assert Work.objects.count() == 6
    assert Path(job.file.path).is_relative_to(tmp_path)  # stored under MEDIA_ROOT, never served
    page = client.get(reverse("expertise:import_job", args=[job.pk]))
    assert "Done" in page.content.decode()
    assert "100% of the file read" in page.content.decode()
    assert "hx-trigger" not in page.content.decode()  # finished jobs stop polling


def test_a_refused_file_leaves_a_failed_job_with_the_record_named(
    client, world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["coordinator"])
    bad = b'{"id": "https://openalex.org/W1", "title": "A", "doi": "not-a-doi", "publication_year": 2020}\n'
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("expertise:imports"), {"format": "openalex", "file": _upload("bad.jsonl", bad)})
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert Work.objects.count() == 0
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "Nothing was imported" in body or "Problems" in body
    assert "not-a-doi" in body


def test_a_file_of_the_wrong_kind_is_refused_naming_the_field(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["aston_admin"])
    response = client.post(reverse("expertise:imports"), {"format": "pubmed", "file": _upload("notes.txt", b"hello")})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["“notes.txt” does not look like a pubmed file: expected .xml, .gz."]
    }
    assert ImportJob.objects.count() == 0


def _ambiguous(world):
    from mhi.directory.tests.factories import AffiliationFactory

    twin = AffiliationFactory(
        organisation=world.aston, person=PersonFactory(slug="d-mercer-aston", family_name="Mercer")
    ).person
    work = Work.objects.create(title="Gut feelings", year=2020, source="openalex", openalex_id="W42")
    authorship = Authorship.objects.create(work=work, position=1, raw_name="D. Mercer", match_status="review")
    authorship.candidates.set([world.researcher_person, twin])
    return authorship, twin


def test_a_candidate_claims_their_authorship(client, world):
    authorship, _ = _ambiguous(world)
    client.force_login(world.users["researcher"])
    assert [a.pk for a in client.get(reverse("expertise:review")).context["page_obj"].object_list] == [authorship.pk]
    client.post(
        reverse("expertise:review"),
        {"authorship": authorship.pk, "person": world.researcher_person.pk, "decision": "claim"},
    )
    authorship.refresh_from_db()
    assert (authorship.match_status, authorship.person) == ("matched", world.researcher_person)
    assert authorship.candidates.count() == 0


def test_rejections_by_every_candidate_reject_the_authorship(client, world):
    authorship, twin = _ambiguous(world)
    client.force_login(world.users["researcher"])
    client.post(
        reverse("expertise:review"),
        {"authorship": authorship.pk, "person": world.researcher_person.pk, "decision": "reject"},
    )
    authorship.refresh_from_db()
    assert authorship.match_status == "review"
    client.force_login(world.users["aston_admin"])  # the twin is at Aston
    client.post(reverse("expertise:review"), {"authorship": authorship.pk, "person": twin.pk, "decision": "reject"})
    authorship.refresh_from_db()
    assert authorship.match_status == "rejected"


def test_an_admin_cannot_claim_for_someone_at_another_institution(client, world):
    authorship, _ = _ambiguous(world)
    client.force_login(world.users["aston_admin"])
    response = client.post(
        reverse("expertise:review"),
        {"authorship": authorship.pk, "person": world.researcher_person.pk, "decision": "claim"},
        follow=True,
    )
    assert "You cannot decide authorships for" in response.content.decode()
    authorship.refresh_from_db()
    assert authorship.match_status == "review"


def test_people_outside_the_queue_see_nothing_to_review(client, world):
    _ambiguous(world)
    client.force_login(world.users["nhs_rd"])
    assert list(client.get(reverse("expertise:review")).context["page_obj"].object_list) == []
