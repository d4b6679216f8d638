from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "masthead.distribution"
    label = "distribution"
    verbose_name = "Feeds, sitemaps and structured data"
