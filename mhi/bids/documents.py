"""Bid documents: checking an upload before anything is stored, and serving a stored one safely.

An upload is refused, naming the file and why, when it is empty, larger than MHI_BID_UPLOAD_MAX_BYTES, has an
extension not in MHI_BID_UPLOAD_EXTENSIONS, or its first bytes are not what its extension says (a PDF starts
with %PDF-, Office and OpenDocument files are zip archives with their own parts, text is UTF-8 without NUL).
Stored files live in the private storage (mhi/bids/storage.py) under a name that is never the uploaded one,
and leave only as attachments with headers that stop a browser from rendering or sniffing them.
"""

import codecs
import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse

from mhi.core.errors import DomainError

PDF = b"%PDF-"
ZIP = b"PK\x03\x04"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"

OOXML = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ppt/"),
}
ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
# What each known extension is called in messages, and the content type it is stored and served as.
KINDS = {
    "pdf": ("a PDF", "application/pdf"),
    **{ext: (f"a Word, Excel or PowerPoint file (.{ext})", ct) for ext, (ct, _) in OOXML.items()},
    **{ext: (f"an OpenDocument file (.{ext})", ct) for ext, ct in ODF.items()},
    "png": ("a PNG image", "image/png"),
    "jpg": ("a JPEG image", "image/jpeg"),
    "jpeg": ("a JPEG image", "image/jpeg"),
    "txt": ("a text file", "text/plain"),
    "csv": ("a CSV file", "text/csv"),
}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    name: str  # the uploaded name, made safe to show and to send back
    extension: str
    content_type: str  # as sniffed, never as the browser declared it
    size: int
    sha256: str


def max_bytes() -> int:
    return int(settings.MHI_BID_UPLOAD_MAX_BYTES)


def size_words(size: int) -> str:
    if size >= 1024 * 1024:
        mb = size / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def allowed_extensions() -> list[str]:
    return [ext.lower().lstrip(".") for ext in settings.MHI_BID_UPLOAD_EXTENSIONS]


def safe_filename(name: str) -> str:
    """The last part of the name, without control characters, path separators or quotes, at most 255
    characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join("_" if unicodedata.category(c).startswith("C") or c in '"<>|:*?' else c for c in name)
    name = " ".join(name.split()).strip(" .") or "document"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) <= 16 else name[:255]
    return name


def _extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


def _refuse(name: str, why: str) -> DomainError:
    return DomainError(f"“{name}” {why}", field="file")


def _zip_parts(uploaded_file) -> tuple[list[str], bytes] | None:
    """The archive's part names and its ODF `mimetype` part (empty if none), or None if it is not a zip."""
    try:
        uploaded_file.seek(0)
        with zipfile.ZipFile(uploaded_file) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:200] if "mimetype" in names else b""
            return names, mimetype
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None


def _sniff(uploaded_file, *, name: str, extension: str, head: bytes) -> None:
    """Refuse the file unless its content is what its extension says."""
    what = KINDS[extension][0]
    not_really = f"is not really {what}: its content does not match its .{extension} extension."
    if extension == "pdf" and not head.startswith(PDF):
        raise _refuse(name, not_really)
    if extension == "png" and not head.startswith(PNG):
        raise _refuse(name, not_really)
    if extension in ("jpg", "jpeg") and not head.startswith(JPEG):
        raise _refuse(name, not_really)
    if extension in OOXML or extension in ODF:
        if not head.startswith(ZIP):
            raise _refuse(name, not_really)
        parts = _zip_parts(uploaded_file)
        if parts is None:
            raise _refuse(name, f"is damaged: it cannot be read as {what}.")
        names, mimetype = parts
        if extension in OOXML:
            part = OOXML[extension][1]
            if "[Content_Types].xml" not in names or not any(n.startswith(part) for n in names):
                raise _refuse(name, not_really)
        elif mimetype.strip() != ODF[extension].encode():
            raise _refuse(name, not_really)


def document_check(uploaded_file) -> CheckedUpload:
    """Check an upload before it is stored: size (from uploaded_file.size, before reading), extension, content.
    Raises DomainError(field="file") naming the file and why."""
    name = safe_filename(getattr(uploaded_file, "name", "") or "")
    size = uploaded_file.size
    if size is None or size <= 0:
        raise _refuse(name, "is empty; choose the file again.")
    if size > max_bytes():
        raise _refuse(
            name,
            f"is {size_words(size)}, larger than the {size_words(max_bytes())} limit; make it smaller or split it.",
        )
    extension = _extension(name)
    allowed = allowed_extensions()
    if extension not in allowed or extension not in KINDS:
        kinds = ", ".join(f".{e}" for e in allowed if e in KINDS)
        shown = f"a .{extension} file" if extension else "a file without an extension"
        raise _refuse(name, f"is {shown}, which cannot be uploaded; upload one of {kinds}.")
    digest = hashlib.sha256()
    head = b""
    text = extension in ("txt", "csv")
    decoder = codecs.getincrementaldecoder("utf-8")() if text else None
    uploaded_file.seek(0)
    read = 0
    for chunk in uploaded_file.chunks(CHUNK):
        read += len(chunk)
        if read > max_bytes():  # the declared size was wrong
            raise _refuse(name, f"is larger than the {size_words(max_bytes())} limit.")
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
        if text:
            if b"\x00" in chunk:
                raise _refuse(name, f"is not a text file: it contains binary data (.{extension} files must be text).")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                raise _refuse(name, "is not UTF-8 text; save it as UTF-8 and upload it again.") from None
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _refuse(name, "is not UTF-8 text; save it as UTF-8 and upload it again.") from None
    _sniff(uploaded_file, name=name, extension=extension, head=head)
    uploaded_file.seek(0)
    return CheckedUpload(
        name=name, extension=extension, content_type=KINDS[extension][1], size=read, sha256=digest.hexdigest()
    )


def document_response(*, document) -> FileResponse:
    """The stored file as an attachment: never rendered inline, never sniffed, never cached."""
    content_type = document.content_type or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type = "text/plain; charset=utf-8"
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=safe_filename(document.original_name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- stopping an oversized upload while it arrives ------------------------------------------------------------

REFUSED_ATTRIBUTE = "mhi_bid_upload_refused"


class BidUploadLimitHandler(FileUploadHandler):
    """Stops keeping a file once it passes MHI_BID_UPLOAD_MAX_BYTES, instead of writing it all to a temporary
    file first. The file is then missing from request.FILES and `upload_refused(request)` says why.

    Install it before the body is read (`request.upload_handlers.insert(0, BidUploadLimitHandler(request))`);
    CSRF middleware reads the body, so the view must be `csrf_exempt` with `csrf_protect` applied inside it,
    as Django's upload-handler documentation describes. `limit_uploads(request)` does the insertion."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > max_bytes():
            name = safe_filename(self.file_name or "")
            setattr(
                self.request,
                REFUSED_ATTRIBUTE,
                f"“{name}” is larger than the {size_words(max_bytes())} limit; make it smaller or split it.",
            )
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_uploads(request) -> None:
    request.upload_handlers.insert(0, BidUploadLimitHandler(request))


def upload_refused(request) -> str | None:
    """Why BidUploadLimitHandler dropped a file of this request, or None."""
    return getattr(request, REFUSED_ATTRIBUTE, None)
