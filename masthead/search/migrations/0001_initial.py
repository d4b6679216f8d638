from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ReindexState",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("backend", models.CharField(max_length=100)),
                ("model", models.CharField(help_text="app_label.ModelName", max_length=100)),
                ("last_pk", models.BigIntegerField(default=0)),
                ("indexed", models.PositiveIntegerField(default=0, help_text="Objects written by the current run.")),
                ("started_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("backend", "model"), name="search_reindex_state_unique")
                ],
            },
        ),
    ]
