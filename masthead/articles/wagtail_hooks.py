from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Author, Country, Topic, WorldRegion


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    list_display = ["name", "affiliation"]
    search_fields = ["name", "affiliation"]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "featured", "sort_order"]
    list_filter = ["featured"]


class WorldRegionViewSet(SnippetViewSet):
    model = WorldRegion
    icon = "globe"
    list_display = ["name", "sort_order"]


class CountryViewSet(SnippetViewSet):
    model = Country
    icon = "site"
    list_display = ["name", "code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "code"]


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = "Authors and hubs"
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (AuthorViewSet, TopicViewSet, WorldRegionViewSet, CountryViewSet)


register_snippet(TaxonomyGroup)
