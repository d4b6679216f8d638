from django.db import models


class ArticleKind(models.TextChoices):
    """The forms an article takes; readers filter the library by them."""

    DAILY_ANALYSIS = "daily", "Daily analysis"
    IN_DEPTH = "in_depth", "In-depth report"
    BRIEFING = "briefing", "Briefing"
    OPINION = "opinion", "Opinion"
