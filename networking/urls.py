from django.urls import path

import registrations.urls  # noqa: F401  (registers the <token:> converter of private links)
from networking import staff, views

app_name = "networking"

urlpatterns = [
    path("participants/", views.participants, name="participants"),
    path("registration/<token:token>/profile/", views.profile, name="profile"),
    path("registration/<token:token>/people/", views.people, name="people"),
    path("registration/<token:token>/people/<int:profile_id>/", views.person, name="person"),
    path("registration/<token:token>/meetings/", views.meetings, name="meetings"),
    path("registration/<token:token>/meetings/<int:meeting_id>/<str:action>/", views.answer, name="answer"),
    path("staff/meetings/", staff.meetings, name="staff_meetings"),
]
