from django.urls import path

from . import account, views

app_name = "newsletters"

urlpatterns = [
    path("preferences/", account.preferences, name="preferences"),
    path("p/<str:token>/", views.public_preferences, name="public_preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("r/<str:token>/<int:article_id>/", views.link, name="link"),
    path("archive/", views.archive_index, name="archive"),
    path("archive/<slug:slug>/", views.archive_newsletter, name="archive_newsletter"),
    path("archive/<slug:slug>/<str:issue_date>/", views.archive_issue, name="archive_issue"),
]
