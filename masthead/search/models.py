"""Where a reindex got to, so an interrupted one can resume."""

from django.db import models


class ReindexState(models.Model):
    """One row per search backend and model: the last primary key a reindex wrote to the index."""

    backend = models.CharField(max_length=100)
    model = models.CharField(max_length=100, help_text="app_label.ModelName")
    last_pk = models.BigIntegerField(default=0)
    indexed = models.PositiveIntegerField(default=0, help_text="Objects written by the current run.")
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["backend", "model"], name="search_reindex_state_unique")]

    def __str__(self) -> str:
        return f"{self.backend}: {self.model} up to pk {self.last_pk}"
