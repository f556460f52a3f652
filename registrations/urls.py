from django.urls import path, register_converter

from registrations import staff, views


class TokenConverter:
    """Private-link tokens are URL-safe base64; anything else is a 404 before any query."""

    regex = "[A-Za-z0-9_-]{20,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "registrations"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("register/", views.register, name="register"),
    path("register/thanks/", views.registered, name="registered"),
    path("register/link/", views.request_link, name="request_link"),
    path("registration/<token:token>/", views.manage, name="manage"),
    path("registration/<token:token>/sessions/", views.change_sessions, name="change_sessions"),
    path("registration/<token:token>/language/", views.change_language, name="change_language"),
    path("registration/<token:token>/details/", views.details, name="details"),
    path("confirm-email/<token:key>/", views.confirm_email, name="confirm_email"),
    path("verify/<token:key>/", views.verify, name="verify"),
    path("invitation/<token:token>/", views.invitation, name="invitation"),
    path("invitation/<token:token>/decline/", views.decline_invitation, name="decline_invitation"),
    path("registration/<token:token>/cancel/", views.cancel_registration, name="cancel"),
    path("registration/<token:token>/cancel/<int:booking_id>/", views.cancel_booking, name="cancel_booking"),
    path("registration/<token:token>/agenda.ics", views.my_agenda_ics, name="my_agenda_ics"),
    path("registration/<token:token>/ticket.pdf", views.ticket_pdf, name="ticket_pdf"),
    path("registration/<token:token>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("staff/", staff.staff_home, name="staff"),
    path("staff/attendees.csv", staff.attendees_csv, name="attendees_csv"),
    path("staff/attendees.xlsx", staff.attendees_xlsx, name="attendees_xlsx"),
    path("staff/sessions/<slug:session_slug>/sign-in/", staff.sign_in_sheet, name="sign_in_sheet"),
    path("staff/sessions/<slug:session_slug>/", staff.session_people, name="session_people"),
    path("staff/checkin/", staff.checkin, name="checkin"),
    path("staff/checkin/scan/", staff.scan, name="scan"),
    path("staff/badges.pdf", staff.badges_pdf, name="badges_pdf"),
    path("staff/approvals/", staff.approvals, name="approvals"),
    path("staff/checkin/<int:registration_id>/", staff.check_in, name="check_in"),
    path("staff/checkin/<int:registration_id>/undo/", staff.undo_check_in, name="undo_check_in"),
]
