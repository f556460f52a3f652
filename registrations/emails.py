"""Renders an outbox row into a message: templates/emails/<kind>_subject.txt, <kind>.txt and
<kind>.html, all from one context, with the participant's agenda attached as .ics."""
import datetime
from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agenda.calendar import build_calendar
from agenda.models import Session
from registrations.models import Booking, OutgoingEmail
from registrations import extensions, mailings
from registrations.documents import qr_png, ticket_pdf
from registrations.questions import answers_in_words


def invitation_context(email):
    """An invitation email's context: it is for an invitation, not (yet) a registration."""
    invitation = email.invitation
    return {
        "email": email,
        "invitation": invitation,
        "event": invitation.event,
        "invitation_url": settings.SITE_URL + invitation.get_absolute_url(),
        "decline_url": settings.SITE_URL + reverse("registrations:decline_invitation",
                                                   args=[invitation.event.slug, invitation.token]),
        "event_url": settings.SITE_URL + invitation.event.get_absolute_url(),
    }


def email_context(email, preview=False):
    if email.invitation_id:
        return invitation_context(email)
    registration = email.registration
    event = registration.event
    session_titles = dict(
        Session.objects.filter(pk__in=_session_ids(email.context)).values_list("pk", "title")
    )
    return {
        "email": email,
        "registration": registration,
        "event": event,
        "bookings": list(registration.bookings.live()),
        "manage_url": mailings.PREVIEW_LINK if preview else settings.SITE_URL + registration.get_absolute_url(),
        "event_url": settings.SITE_URL + event.get_absolute_url(),
        "added": [session_titles[pk] for pk in email.context.get("added", []) if pk in session_titles],
        "dropped": [session_titles[pk] for pk in email.context.get("dropped", []) if pk in session_titles],
        "session_title": session_titles.get(email.context.get("session")),
        "everything": email.context.get("everything", False),
        "was": _was(email.context.get("was")),
        "changed": email.context.get("changed", []),
        "old_address": email.context.get("old_address"),
        # The organiser's words with an approval or a rejection.
        "message": email.context.get("message", ""),
        "reason": email.context.get("reason", ""),
        "mailing": mailing_text(email, preview),
        "verify_url": settings.SITE_URL + reverse("registrations:verify", args=[event.slug, registration.verification_key])
        if email.kind == OutgoingEmail.Kind.VERIFY and registration.verification_key else "",
        "details": details_in_words(registration, email.context.get("changed", []))
        if email.kind == OutgoingEmail.Kind.DETAILS_CHANGED else [],
        # The key this email was written for: a later request for another address makes it void.
        "confirm_email_url": settings.SITE_URL + reverse(
            "registrations:confirm_email", args=[event.slug, email.context["key"]]
        ) if email.kind == OutgoingEmail.Kind.CONFIRM_NEW_EMAIL else "",
        **extensions.email_context_for(email),  # other apps' kinds (networking's meetings)
    }


def details_in_words(registration, changed):
    """[(label, value, changed?)] of what the participant told us, for the email confirming a
    change of details; `changed` holds the names services.update_details returned."""
    yes_no = {True: _("Yes"), False: _("No")}
    rows = [
        (_("Name"), registration.full_name, {"first_name", "last_name"} & set(changed)),
        (_("Email"), registration.email, "email" in changed),
        (_("Organisation"), registration.organisation, "organisation" in changed),
        (_("Country and region"), ", ".join(filter(None, [str(registration.country.name), registration.region_name])),
         {"country", "region", "region_other"} & set(changed)),
        (_("You are"), registration.get_stakeholder_type_display(), "stakeholder_type" in changed),
        (_("Platforms"), ", ".join(map(str, registration.platforms.all())), "platforms" in changed),
        (_("Partnerships"), ", ".join(map(str, registration.partnerships.all())), "partnerships" in changed),
        (_("Dietary needs"), registration.dietary_needs, "dietary_needs" in changed),
        (_("Accessibility needs"), registration.accessibility_needs, "accessibility_needs" in changed),
        *((question, answer, "answers" in changed) for question, answer in answers_in_words(registration)),
        (_("In the list of participants"), yes_no[bool(registration.listed_consent_at)], "listed" in changed),
        (_("Language"), registration.get_language_display(), "language" in changed),
    ]
    return [(label, value or "–", bool(is_changed)) for label, value, is_changed in rows]


def mailing_text(email, preview=False):
    """{"subject", "body"} of a mailing for this person, placeholders filled in."""
    if email.kind != OutgoingEmail.Kind.MAILING or email.mailing_id is None:
        return None
    subject, body = mailings.text_for(email.mailing, email.registration, preview)
    return {"subject": subject, "body": body}


def _was(before):
    """A moved session's former time and room, as services.notify_session_moved recorded them."""
    if not before:
        return None
    return {
        "starts_at": datetime.datetime.fromisoformat(before["starts_at"]),
        "ends_at": datetime.datetime.fromisoformat(before["ends_at"]),
        "room": before["room"],
    }


def _session_ids(context):
    return [*context.get("added", []), *context.get("dropped", []), *filter(None, [context.get("session")])]


# The emails that say "you are in" carry the ticket: the one a person is most likely to print.
TICKET_KINDS = {OutgoingEmail.Kind.CONFIRMATION, OutgoingEmail.Kind.APPROVED, OutgoingEmail.Kind.REMINDER}


def build_message(email, preview=False):
    """The message, in the participant's (or invitee's) language and the event's time zone. A
    preview (the admin's) carries no private link and no attachments."""
    language = email.invitation.language if email.invitation_id else email.registration.language
    with translation.override(language):
        return _build_message(email, preview)


def _build_message(email, preview=False):
    context = email_context(email, preview)
    registration = context.get("registration")
    elsewhere = email.kind == OutgoingEmail.Kind.CONFIRM_NEW_EMAIL or "old_address" in email.context
    # To the registration's address as it is now (it may have been corrected since the row was
    # queued), unless the email is for another address.
    to = email.to_address if elsewhere or registration is None else registration.email
    with timezone.override(context["event"].tz):
        subject = settings.EMAIL_SUBJECT_PREFIX + " ".join(
            render_to_string(f"emails/{email.kind}_subject.txt", context).split()
        )
        text = render_to_string(f"emails/{email.kind}.txt", context)
        html = render_to_string(f"emails/{email.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-S3days-Outbox-Id": str(email.pk)},
        # Participants answer the organisers, not the no-reply sender.
        reply_to=[context["event"].contact_email] if context["event"].contact_email else None,
    )
    message.attach_alternative(html, "text/html")
    if preview or elsewhere or registration is None or not registration.is_admitted:
        # An address not confirmed yet or being left, an invitation, someone not (or no longer)
        # admitted: no check-in code, no calendar.
        return message
    message.attach(checkin_qr_code(registration))
    if email.kind in TICKET_KINDS:
        message.attach(f"{context['event'].slug}-ticket.pdf", ticket_pdf(registration), "application/pdf")
    confirmed = [booking.session for booking in context["bookings"] if booking.status == Booking.Status.CONFIRMED]
    others = extensions.calendar_events_for(registration)  # e.g. their meetings
    if confirmed or others:
        ics = build_calendar(context["event"], confirmed, my_agenda_name(context["event"]), others)
        message.attach("my-agenda.ics", ics, "text/calendar")
    if email.kind == OutgoingEmail.Kind.SESSION_CANCELLED:
        # The session with STATUS:CANCELLED and its higher SEQUENCE: opened, it takes the session
        # out of the calendar the participant added it to.
        cancelled = Session.objects.filter(pk=email.context.get("session")).select_related("room")
        if cancelled:
            ics = build_calendar(context["event"], list(cancelled), my_agenda_name(context["event"]))
            message.attach("cancelled-session.ics", ics, "text/calendar")
    for filename, content, mimetype in extensions.email_attachments_for(email):  # e.g. a cancelled meeting
        message.attach(filename, content, mimetype)
    return message


def checkin_qr_code(registration):
    """The check-in code as a QR code, shown inline by the HTML email (cid:checkin-qr)."""
    image = MIMEImage(qr_png(registration.checkin_code, scale=6), "png")
    image.add_header("Content-ID", "<checkin-qr>")
    image.add_header("Content-Disposition", "inline", filename="check-in-code.png")
    return image


def my_agenda_name(event):
    """The name of a participant's own calendar, in the active language."""
    return _("%(event)s: my agenda") % {"event": event.name}
