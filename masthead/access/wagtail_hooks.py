from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import CreateView, DeleteView, EditView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .admin_views import institution_reads_csv
from .entitlements import forget_institutions
from .models import ComplimentaryAccess, Institution


class ComplimentaryAccessViewSet(ModelViewSet):
    model = ComplimentaryAccess
    name = "complimentary_access"
    icon = "pick"
    menu_label = "Complimentary access"
    list_display = ["reader", "starts_at", "ends_at", "note"]
    search_fields = ["reader__email", "note"]
    ordering = ["-ends_at"]
    add_to_admin_menu = False


class _ForgetInstitutions:
    """Edits to institutions apply to the next request, not after the cache expires."""

    def save_instance(self):
        instance = super().save_instance()
        forget_institutions()
        return instance


class InstitutionCreateView(_ForgetInstitutions, CreateView):
    pass


class InstitutionEditView(_ForgetInstitutions, EditView):
    pass


class InstitutionDeleteView(DeleteView):
    def delete_action(self):
        super().delete_action()
        forget_institutions()


class InstitutionViewSet(ModelViewSet):
    model = Institution
    add_view_class = InstitutionCreateView
    edit_view_class = InstitutionEditView
    delete_view_class = InstitutionDeleteView
    name = "institutions"
    icon = "group"
    list_display = ["name", "starts_on", "ends_on", "is_active", "seat_limit"]
    list_filter = ["is_active"]
    search_fields = ["name", "email_domains"]
    add_to_admin_menu = False


class AccessGroup(ViewSetGroup):
    menu_label = "Paywall"
    menu_icon = "lock"
    menu_order = 250
    items = (ComplimentaryAccessViewSet, InstitutionViewSet)


@hooks.register("register_admin_viewset")
def register_access_viewsets():
    return AccessGroup()


@hooks.register("register_admin_urls")
def register_access_admin_urls():
    return [path("access/institution-reads.csv", institution_reads_csv, name="access_institution_reads_csv")]


@hooks.register("register_reports_menu_item")
def register_institution_reads_menu_item():
    return MenuItem(
        "Institution reads (CSV)",
        reverse("access_institution_reads_csv"),
        icon_name="download",
        order=800,
    )
