"""The Newsletters menu: issues (edit, preview as a free reader or a subscriber, send), newsletters, suppressions."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.functional import cached_property
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet, SnippetViewSetGroup

from . import admin_views
from .models import Issue, Newsletter, Suppression


class IssueEditView(EditView):
    """An issue being sent or sent is no longer edited: its snapshot is what readers get."""

    def dispatch(self, request, *args, **kwargs):
        issue = Issue.objects.filter(pk=kwargs.get("pk")).first()
        if issue is not None and not issue.is_editable and request.method == "POST":
            messages.error(request, "This issue is being sent or has been sent: it can no longer be changed.")
            return redirect(admin_views.send_url(issue))
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        buttons.append(HeaderButton("Send and progress", url=admin_views.send_url(self.object), icon_name="mail"))
        return buttons


class IssueIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons.append(Button("Send and progress", url=admin_views.send_url(instance), icon_name="mail", priority=5))
        return buttons


class IssueViewSet(SnippetViewSet):
    model = Issue
    icon = "mail"
    menu_label = "Issues"
    add_to_admin_menu = False
    edit_view_class = IssueEditView
    index_view_class = IssueIndexView
    list_display = ["__str__", "subject", "status", "scheduled_at"]
    list_filter = ["newsletter", "status"]
    search_fields = ["subject"]
    ordering = ["-issue_date"]

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("send/<str:pk>/", admin_views.send_view, name="send"),
        ]


class NewsletterViewSet(SnippetViewSet):
    model = Newsletter
    icon = "list-ul"
    menu_label = "Newsletters"
    list_display = ["name", "cadence", "audience", "default_for_new_readers", "is_active"]


class SuppressionViewSet(SnippetViewSet):
    model = Suppression
    icon = "cross"
    menu_label = "Suppressed addresses"
    list_display = ["email", "reason", "created_at", "detail"]
    list_filter = ["reason"]
    search_fields = ["email"]


class NewslettersGroup(SnippetViewSetGroup):
    menu_label = "Newsletters"
    menu_icon = "mail"
    menu_order = 260
    items = (IssueViewSet, NewsletterViewSet, SuppressionViewSet)


register_snippet(NewslettersGroup)
