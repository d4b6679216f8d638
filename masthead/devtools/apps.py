from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development aids, installed by `masthead.settings.dev` only and routed only when DEBUG is true."""

    name = "masthead.devtools"
    label = "devtools"
    verbose_name = "Development tools"
