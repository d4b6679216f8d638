"""Feeds and sitemaps."""

from django.urls import path

from . import feeds, sitemaps

app_name = "distribution"

urlpatterns = [
    path("feeds/latest/", feeds.LatestFeed(), name="latest_rss"),
    path("feeds/latest/atom/", feeds.LatestAtomFeed(), name="latest_atom"),
    path("feeds/topics/<slug:slug>/", feeds.TopicFeed(), name="topic_rss"),
    path("feeds/topics/<slug:slug>/atom/", feeds.TopicAtomFeed(), name="topic_atom"),
    path("feeds/regions/<slug:slug>/", feeds.RegionFeed(), name="region_rss"),
    path("feeds/regions/<slug:slug>/atom/", feeds.RegionAtomFeed(), name="region_atom"),
    path("feeds/countries/<slug:slug>/", feeds.CountryFeed(), name="country_rss"),
    path("feeds/countries/<slug:slug>/atom/", feeds.CountryAtomFeed(), name="country_atom"),
    path("feeds/authors/<slug:slug>/", feeds.AuthorFeed(), name="author_rss"),
    path("feeds/authors/<slug:slug>/atom/", feeds.AuthorAtomFeed(), name="author_atom"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
    path("sitemap-hubs.xml", sitemaps.hubs_sitemap, name="hubs_sitemap"),
    path("sitemap-index.xml", sitemaps.sitemap_index, name="sitemap_index"),
]
