"""Every ISO 3166-1 country and the world regions hubs group them into."""

from django.db import migrations
from django.utils.text import slugify

from masthead.articles.geography import COUNTRIES, WORLD_REGIONS


def load(apps, schema_editor):
    WorldRegion = apps.get_model("articles", "WorldRegion")
    Country = apps.get_model("articles", "Country")
    regions = {}
    for order, data in enumerate(WORLD_REGIONS):
        regions[data.slug], _ = WorldRegion.objects.get_or_create(
            slug=data.slug, defaults={"name": data.name, "sort_order": order}
        )
    for data in COUNTRIES:
        Country.objects.get_or_create(
            code=data.code,
            defaults={"name": data.name, "slug": slugify(data.name), "region": regions[data.region]},
        )


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
