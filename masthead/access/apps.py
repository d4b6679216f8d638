from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "masthead.access"
    label = "access"
    verbose_name = "Access and paywall"

    def ready(self) -> None:
        from . import signals

        signals.connect()
