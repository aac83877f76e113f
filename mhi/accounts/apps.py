from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mhi.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
