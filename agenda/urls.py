from django.urls import path

from agenda import views

app_name = "agenda"

urlpatterns = [
    path("", views.event_home, name="event_home"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda.ics", views.agenda_ics, name="agenda_ics"),
    path("agenda.json", views.agenda_json, name="agenda_json"),
    path("agenda/<slug:session_slug>/", views.session_detail, name="session_detail"),
    path("agenda/<slug:session_slug>.ics", views.session_ics, name="session_ics"),
]
