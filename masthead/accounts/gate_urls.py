from django.urls import path

from .gate import gate

app_name = "gate"

urlpatterns = [path("<int:article_id>/", gate, name="submit")]
