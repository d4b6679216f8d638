from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from masthead.accounts.code_guard import single_use_code
from masthead.articles import serving

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path(
        "accounts/login/code/confirm/",
        single_use_code(allauth_views.confirm_login_code),
        name="account_confirm_login_code",
    ),
    path("accounts/", include("allauth.urls")),
    path("gate/", include("masthead.accounts.gate_urls")),
    path("access/", include("masthead.access.urls")),
    path("account/", include("masthead.accounts.account_urls")),
    path("search/", include("masthead.search.urls")),
    path("newsletters/", include("masthead.newsletters.urls")),
    path("anymail/", include("anymail.urls")),  # ESP bounce and complaint webhooks (newsletters)
    path("", include("masthead.articles.urls")),
    path("", include("masthead.distribution.site_urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns.append(path("dev/outbox/", include("masthead.devtools.urls")))  # never routed in production
if settings.MASTHEAD_SERVE_MEDIA:
    # The embedded default serves uploaded images itself; production puts
    # object storage or the front web server in front of MEDIA_URL instead.
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

# Wagtail's page view, with kept article routes answered first (masthead.articles.serving); its
# other patterns stay ahead of the catch-all, and the catch-all keeps its name for `pageurl` and reverse().
urlpatterns += [
    pattern
    if getattr(pattern, "name", None) != "wagtail_serve"
    else re_path(pattern.pattern.regex.pattern, serving.serve, name="wagtail_serve")
    for pattern in wagtail_urls.urlpatterns
]
