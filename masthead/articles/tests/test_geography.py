import pytest

from masthead.articles.models import Country, WorldRegion

pytestmark = pytest.mark.django_db


def test_every_iso_country_is_loaded_with_its_world_region():
    assert Country.objects.count() == 249
    assert not Country.objects.filter(region__isnull=True).exists()
    assert Country.objects.get(code="AF").region.slug == "south-asia"
    assert Country.objects.get(code="UA").region.slug == "russia-eurasia"


def test_every_world_region_has_countries():
    for region in WorldRegion.objects.all():
        assert region.countries.exists(), region.name
