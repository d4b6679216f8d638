from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("topics/", views.topic_index, name="topic_index"),
    path("topics/<slug:slug>/", views.topic_hub, name="topic"),
    path("regions/", views.region_index, name="region_index"),
    path("regions/<slug:slug>/", views.region_hub, name="region"),
    path("countries/<slug:slug>/", views.country_hub, name="country"),
    path("authors/", views.author_index, name="author_index"),
    path("authors/<slug:slug>/", views.author_hub, name="author"),
]
