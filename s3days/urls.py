from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from agenda import views as agenda_views
from s3days import views as site_views

admin.site.site_header = "S3 Platform Days: organisers"
admin.site.site_title = "S3 Platform Days admin"

urlpatterns = [
    path("", agenda_views.event_list, name="event_list"),
    path("admin/", admin.site.urls),
    # /i18n/setlang/: Django's set_language view, behind every page's language switcher. URLs
    # themselves carry no language: the cookie, else the browser's Accept-Language, decides.
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", site_views.healthz, name="healthz"),
    path("<slug:event_slug>/", include("agenda.urls")),
    path("<slug:event_slug>/", include("registrations.urls")),
    path("<slug:event_slug>/", include("networking.urls")),
]

if settings.BENCH_CEILING_VIEW:
    # bench/agenda_load.py compares the agenda with the least a Django view can do.
    urlpatterns.append(path("bench/ceiling", site_views.ceiling))
