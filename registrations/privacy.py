"""Data protection: anonymise an event's registrations once its retention period has passed,
and export everything held about one email address."""
from django.db import transaction
from django.utils import timezone

from registrations import extensions
from registrations.models import Answer, Invitation, Question, Registration, new_checkin_code, new_token
from registrations.questions import answers_in_words


@transaction.atomic
def anonymise(event):
    """Removes who the participants were; keeps what they were (country, region, kind of
    stakeholder, platforms, sessions, check-in) so the event's statistics stay. Returns how many."""
    now = timezone.now()
    registrations = list(Registration.objects.select_for_update(no_key=True).filter(event=event, anonymised_at__isnull=True))
    for registration in registrations:
        registration.first_name = "Anonymised"
        registration.last_name = ""
        registration.email = f"anonymised-{registration.pk}@invalid"
        registration.organisation = ""
        registration.dietary_needs = registration.accessibility_needs = ""
        registration.token, registration.checkin_code = new_token(), new_checkin_code()  # old links die
        registration.signup_browser = ""
        registration.new_email = registration.new_email_key = registration.verification_key = ""
        registration.anonymised_at = now
        registration.save()
        registration.emails.update(to_address=registration.email, last_error="", context={})
    # Invitations name people too, registered or not; their emails carry the address.
    for invitation in Invitation.objects.select_for_update().filter(event=event):
        invitation.name, invitation.email = "Anonymised", f"anonymised-invitation-{invitation.pk}@invalid"
        invitation.save(update_fields=["name", "email"])
        invitation.emails.update(to_address=invitation.email, last_error="")
    # What people wrote in their own words may say who they are; what they chose stays counted.
    Answer.objects.filter(
        registration__in=registrations, question__kind__in=[Question.Kind.TEXT, Question.Kind.LONG_TEXT]
    ).delete()
    extensions.anonymise(registrations)  # e.g. networking's profiles and meeting messages
    return len(registrations)


def personal_data(email):
    """Everything held about `email`, in any event, as plain data for JSON."""
    registrations = (
        Registration.objects.with_email(email)
        .select_related("event")
        .prefetch_related("platforms", "partnerships", "bookings__session", "emails")
    )
    return {
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "registrations": [
            {
                "event": registration.event.name,
                "first_name": registration.first_name,
                "last_name": registration.last_name,
                "email": registration.email,
                "organisation": registration.organisation,
                "country": registration.country.code,
                "region": registration.region,
                "region_other": registration.region_other,
                "stakeholder_type": registration.get_stakeholder_type_display(),
                "platforms": [platform.name for platform in registration.platforms.all()],
                "partnerships": [partnership.name for partnership in registration.partnerships.all()],
                "dietary_needs": registration.dietary_needs,
                "accessibility_needs": registration.accessibility_needs,
                "consent_given_at": registration.consent_given_at.isoformat(),
                "listed_consent_at": registration.listed_consent_at and registration.listed_consent_at.isoformat(),
                "status": registration.status,
                "checkin_code": registration.checkin_code,
                "checked_in_at": registration.checked_in_at and registration.checked_in_at.isoformat(),
                "registered_at": registration.created_at.isoformat(),
                "answers": dict(answers_in_words(registration)),
                "bookings": [
                    {"session": booking.session.title, "status": booking.status, "since": booking.created_at.isoformat()}
                    for booking in registration.bookings.all()
                ],
                "emails": [
                    {"kind": message.kind, "to": message.to_address, "status": message.status,
                     "queued_at": message.created_at.isoformat(),
                     "sent_at": message.sent_at and message.sent_at.isoformat()}
                    for message in registration.emails.all()
                ],
                **extensions.personal_data_of(registration),  # e.g. networking's profile and meetings
            }
            for registration in registrations
        ],
        "invitations": [
            {"event": invitation.event.name, "name": invitation.name, "email": invitation.email,
             "status": invitation.status, "sent_at": invitation.sent_at and invitation.sent_at.isoformat(),
             "reminded_at": invitation.reminded_at and invitation.reminded_at.isoformat()}
            for invitation in Invitation.objects.filter(email__iexact=email).select_related("event")
        ],
    }


