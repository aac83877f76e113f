"""Where confidential uploads live: a directory outside the web root and outside MEDIA_ROOT, never served by
a URL of its own. Documents leave only through the bid's download view, which checks permission first."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at settings.MHI_PRIVATE_ROOT, read on every use (so tests' settings apply), with
    no base URL: a stored file has no public address."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return str(settings.MHI_PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("Private files have no URL; they are served by the bid's download view.")

    def deconstruct(self):
        return ("mhi.bids.storage.PrivateStorage", (), {})


def private_storage() -> PrivateStorage:
    return PrivateStorage()
