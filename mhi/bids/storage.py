"""Where confidential uploads live: a directory outside the web root and outside MEDIA_ROOT, never served by
a URL of its own. Documents leave only through the bid's download view, which checks permission first."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    # No base_url: this storage has no public address.
    return FileSystemStorage(
        location=settings.MHI_PRIVATE_ROOT, base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
    )
