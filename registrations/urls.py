from django.urls import path

from registrations import views

app_name = "registrations"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("register/", views.register, name="register"),
    path("register/thanks/", views.registered, name="registered"),
    path("register/link/", views.request_link, name="request_link"),
    path("registration/<str:token>/", views.manage, name="manage"),
    path("registration/<str:token>/sessions/", views.change_sessions, name="change_sessions"),
    path("registration/<str:token>/cancel/", views.cancel_registration, name="cancel"),
    path("registration/<str:token>/cancel/<int:booking_id>/", views.cancel_booking, name="cancel_booking"),
    path("registration/<str:token>/agenda.ics", views.my_agenda_ics, name="my_agenda_ics"),
]
