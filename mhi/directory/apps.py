from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "mhi.directory"
    label = "directory"
    verbose_name = "Directory"
