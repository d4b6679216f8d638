from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("unlock/<int:article_id>/", views.unlock, name="unlock"),
    path("gifts/", views.gifts, name="gifts"),
    path("gifts/new/<int:article_id>/", views.gift_create, name="gift_create"),
    path("gifts/<uuid:gift_id>/revoke/", views.gift_revoke, name="gift_revoke"),
]
