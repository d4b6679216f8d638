from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "masthead.accounts"
    label = "accounts"
    verbose_name = "Readers and staff"
