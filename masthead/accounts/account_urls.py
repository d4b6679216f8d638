"""The reader's account: /account/ and what hangs off it."""

from django.urls import path

from . import account_views

app_name = "accounts"

urlpatterns = [
    path("", account_views.account, name="account"),
    path("export.json", account_views.export, name="export"),
    path("delete/", account_views.delete, name="delete"),
    path("deleted/", account_views.deleted, name="deleted"),
]
