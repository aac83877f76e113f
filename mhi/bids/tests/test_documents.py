"""Bid documents: an upload is checked (size first, then extension, then content) before anything is stored;
a stored one lives in the private storage, outside MEDIA_ROOT and STATIC_ROOT, and leaves only as an attachment
with headers that stop a browser rendering, sniffing or caching it."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings

from mhi.bids import documents, services
from mhi.bids.models import BidDocument
from mhi.bids.tests.factories import PDF_BYTES, BidFactory
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent


def _zip(parts: dict[str, bytes], *, mimetype: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype is not None:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored first and uncompressed, as ODF does
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"content.xml": b"<office:document-content/>"}, mimetype=b"application/vnd.oasis.opendocument.text")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def bid(world):
    return BidFactory(lead_organisation=world.aston, created_by=world.users["researcher"])


def _upload(world, bid, name, content, **kwargs):
    return services.document_upload(
        actor=world.users["researcher"], bid=bid, uploaded_file=SimpleUploadedFile(name, content), **kwargs
    )


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_upload_is_stored_privately_under_a_name_of_its_own(world, bid, private_root):
    document = _upload(world, bid, "Case for support.pdf", PDF_BYTES, description="Draft 2")

    document.refresh_from_db()
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert (document.original_name, document.content_type, document.size, document.sha256) == (
        "Case for support.pdf",
        "application/pdf",
        len(PDF_BYTES),
        digest,
    )
    assert (document.description, document.uploaded_by) == ("Draft 2", world.users["researcher"])
    assert len(document.token) == 32
    assert document.file.name == f"bids/{bid.pk}/{digest[:16]}-{document.token}"
    path = Path(document.file.path).resolve()
    assert path.read_bytes() == PDF_BYTES
    assert path.is_relative_to(private_root.resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert bid.events.get(kind="document").message == "Daniel Mercer uploaded “Case for support.pdf” (45 bytes)"
    assert (
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(BidDocument), action="create").count()
        == 1
    )


def test_the_private_storage_has_no_address():
    with pytest.raises(ValueError):
        BidDocument._meta.get_field("file").storage.url("bids/1/x")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("case.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("case.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("figure.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("notes.txt", "Café notes\n".encode(), "text/plain"),
        ("costs.csv", b"item,cost\nstaff,100\n", "text/csv"),
    ],
)
def test_each_allowed_kind_is_accepted_as_what_it_is(world, bid, name, content, content_type):
    document = _upload(world, bid, name, content)

    assert (document.original_name, document.content_type) == (name, content_type)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "virus.exe",
            b"MZ\x90\x00",
            "“virus.exe” is a .exe file, which cannot be uploaded; upload one of .pdf, .docx, .xlsx, .pptx, .odt, "
            ".ods, .txt, .csv, .png, .jpg, .jpeg.",
        ),
        (
            "README",
            b"text",
            "“README” is a file without an extension, which cannot be uploaded; upload one of .pdf, .docx, .xlsx, "
            ".pptx, .odt, .ods, .txt, .csv, .png, .jpg, .jpeg.",
        ),
        (
            "case.pdf",
            b"<html><script>alert(1)</script>",
            "“case.pdf” is not really a PDF: its content does not match its .pdf extension.",
        ),
        (
            "case.docx",
            _zip({"evil.html": b"<html/>"}),
            "“case.docx” is not really a Word, Excel or PowerPoint file (.docx): its content does not match its "
            ".docx extension.",
        ),
        (
            "budget.xlsx",
            DOCX,
            "“budget.xlsx” is not really a Word, Excel or PowerPoint file (.xlsx): its content does not match its "
            ".xlsx extension.",
        ),
        (
            "case.odt",
            _zip({"content.xml": b"x"}, mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
            "“case.odt” is not really an OpenDocument file (.odt): its content does not match its .odt extension.",
        ),
        (
            "case.docx",
            b"PK\x03\x04 not really a zip",
            "“case.docx” is damaged: it cannot be read as a Word, Excel or PowerPoint file (.docx).",
        ),
        (
            "figure.png",
            PDF_BYTES,
            "“figure.png” is not really a PNG image: its content does not match its .png extension.",
        ),
        ("photo.jpg", PNG, "“photo.jpg” is not really a JPEG image: its content does not match its .jpg extension."),
        (
            "notes.txt",
            b"text\x00with a NUL",
            "“notes.txt” is not a text file: it contains binary data (.txt files must be text).",
        ),
        ("costs.csv", "Café".encode("latin-1"), "“costs.csv” is not UTF-8 text; save it as UTF-8 and upload it again."),
        ("empty.pdf", b"", "“empty.pdf” is empty; choose the file again."),
    ],
)
def test_a_disallowed_or_disguised_file_is_refused_and_nothing_is_left(
    world, bid, private_root, name, content, message
):
    with pytest.raises(DomainError) as refused:
        _upload(world, bid, name, content)

    assert (refused.value.field, refused.value.message) == ("file", message)
    assert BidDocument.objects.count() == 0
    assert _stored_files(private_root) == []
    assert bid.events.count() == 0


@override_settings(MHI_BID_UPLOAD_MAX_BYTES=1024)
def test_an_oversized_file_is_refused_by_its_size_before_it_is_read(world, bid, private_root):
    class Unreadable(SimpleUploadedFile):
        def chunks(self, chunk_size=None):
            raise AssertionError("an oversized file was read")

    upload = Unreadable("big.pdf", PDF_BYTES + b"x" * 2000)

    with pytest.raises(DomainError) as refused:
        services.document_upload(actor=world.users["researcher"], bid=bid, uploaded_file=upload)

    assert refused.value.message == ("“big.pdf” is 2 KB, larger than the 1 KB limit; make it smaller or split it.")
    assert BidDocument.objects.count() == 0
    assert _stored_files(private_root) == []


@override_settings(MHI_BID_UPLOAD_MAX_BYTES=1024)
def test_a_file_larger_than_it_claims_is_refused(world, bid, private_root):
    upload = SimpleUploadedFile("sly.pdf", PDF_BYTES + b"x" * 2000)
    upload.size = 100

    with pytest.raises(DomainError) as refused:
        services.document_upload(actor=world.users["researcher"], bid=bid, uploaded_file=upload)

    assert refused.value.message == "“sly.pdf” is larger than the 1 KB limit."
    assert _stored_files(private_root) == []


@override_settings(MHI_BID_UPLOAD_EXTENSIONS=("pdf",))
def test_the_allowed_extensions_come_from_the_settings(world, bid):
    with pytest.raises(DomainError) as refused:
        _upload(world, bid, "notes.txt", b"text")

    assert refused.value.message == "“notes.txt” is a .txt file, which cannot be uploaded; upload one of .pdf."


def test_a_failed_save_leaves_no_file(world, bid, private_root, monkeypatch):
    def fail(*args, **kwargs):
        raise DomainError("Saving failed.")

    monkeypatch.setattr(services, "_event", fail)

    with pytest.raises(DomainError):
        _upload(world, bid, "case.pdf", PDF_BYTES)

    assert BidDocument.objects.count() == 0
    assert _stored_files(private_root) == []


def test_an_uploaded_name_cannot_reach_outside_the_bids_folder(world, bid):
    document = _upload(world, bid, '../../etc/"passwd".pdf', PDF_BYTES)

    assert document.original_name == "_passwd_.pdf"
    assert document.file.name.startswith(f"bids/{bid.pk}/")


def test_people_who_may_not_edit_cannot_upload(world, bid):
    with pytest.raises(PermissionDenied):
        services.document_upload(
            actor=world.users["leicester_lead"], bid=bid, uploaded_file=SimpleUploadedFile("a.pdf", PDF_BYTES)
        )


# --- serving ---------------------------------------------------------------------------------------------------


def test_a_document_is_served_as_an_attachment_with_safe_headers(world, bid):
    document = _upload(world, bid, "Case for support.pdf", PDF_BYTES)

    response = services.document_response(document=document)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Case for support.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF_BYTES))
    assert b"".join(response.streaming_content) == PDF_BYTES
    response.close()


def test_a_text_document_is_served_as_plain_text_attachment(world, bid):
    document = _upload(world, bid, "costs.csv", b"a,b\n")

    response = services.document_response(document=document)

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="costs.csv"'
    response.close()


def test_a_name_outside_ascii_is_sent_the_rfc_6266_way(world, bid):
    document = _upload(world, bid, "Résumé – équipe.pdf", PDF_BYTES)

    response = services.document_response(document=document)

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%E2%80%93%20%C3%A9quipe.pdf"
    )
    response.close()


def test_deleting_a_document_removes_the_row_and_then_the_file(world, bid, django_capture_on_commit_callbacks):
    document = _upload(world, bid, "case.pdf", PDF_BYTES)
    path = Path(document.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(actor=world.users["researcher"], bid=bid, document_id=document.pk)

    assert BidDocument.objects.count() == 0
    assert not path.exists()
    assert bid.events.filter(kind="document").first().message == "Daniel Mercer deleted “case.pdf”"


def test_deleting_another_bids_document_is_refused(world, bid):
    other = BidFactory(lead_organisation=world.aston, created_by=world.users["researcher"])
    document = _upload(world, other, "case.pdf", PDF_BYTES)

    with pytest.raises(DomainError) as refused:
        services.document_delete(actor=world.users["researcher"], bid=bid, document_id=document.pk)

    assert refused.value.message == "That document is not on this bid."
    assert BidDocument.objects.count() == 1


# --- stopping an oversized upload as it arrives ----------------------------------------------------------------


def _multipart_request(name: str, content: bytes):
    boundary = "BoUnDaRy"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nDraft\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return RequestFactory().generic("POST", "/", body, content_type=f"multipart/form-data; boundary={boundary}")


@override_settings(MHI_BID_UPLOAD_MAX_BYTES=1024)
def test_the_upload_handler_drops_a_file_once_it_passes_the_limit():
    request = _multipart_request("big.pdf", PDF_BYTES + b"x" * 5000)
    documents.limit_uploads(request)

    assert "file" not in request.FILES
    assert request.POST["description"] == "Draft"
    assert documents.upload_refused(request) == (
        "“big.pdf” is larger than the 1 KB limit; make it smaller or split it."
    )


@override_settings(MHI_BID_UPLOAD_MAX_BYTES=1024)
def test_the_upload_handler_lets_a_small_file_through():
    request = _multipart_request("small.pdf", PDF_BYTES)
    documents.limit_uploads(request)

    assert request.FILES["file"].read() == PDF_BYTES
    assert documents.upload_refused(request) is None
