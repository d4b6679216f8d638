from django.urls import path

from . import views

app_name = "devtools"

urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<str:filename>/<int:index>/", views.outbox_message, name="outbox_message"),
]
