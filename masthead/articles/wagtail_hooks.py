from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Author, Country, Topic, WorldRegion


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    list_display = ["name", "affiliation"]
    # Searched in the database (`icontains`), not through the search index: Wagtail passes a view's
    # `search_fields` to the index as the fields to match, which for fields the index holds otherwise
    # (affiliation is no autocomplete field) failed with a server error. A few hundred rows at most.
    search_fields = ["name", "affiliation"]
    search_backend_name = None


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
    search_backend_name = None  # in the database, as for authors: the code is no search field of the index


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = "Authors and hubs"
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = (AuthorViewSet, TopicViewSet, WorldRegionViewSet, CountryViewSet)


register_snippet(TaxonomyGroup)
