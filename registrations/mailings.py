"""Organisers' mailings: who a mailing reaches, and its text for one person with the
placeholders filled in. services.send_mailing writes the outbox rows; emails.py renders them."""
import string

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from registrations.models import Booking, Mailing, Registration

PLACEHOLDERS = ["first_name", "last_name", "event", "private_link", "my_sessions", "certificate_link"]


class PlaceholderError(ValueError):
    """A subject or body that cannot be filled in: the message says what to fix."""


def check(text):
    """Raises PlaceholderError unless every {…} in `text` is one of PLACEHOLDERS (braces meant
    as text are written {{ and }})."""
    try:
        parsed = [(field, spec, conversion) for _literal, field, spec, conversion in string.Formatter().parse(text)
                  if field is not None]
    except ValueError as error:  # a lone { or }
        raise PlaceholderError(
            _("A brace is not closed (%(error)s). Write {{ or }} for a brace as text.") % {"error": error}) from error
    for field, spec, conversion in parsed:
        if field not in PLACEHOLDERS or spec or conversion:
            raise PlaceholderError(_("Unknown placeholder {%(field)s}: use %(known)s.") % {
                "field": field, "known": ", ".join("{%s}" % name for name in PLACEHOLDERS)})


def fill(text, values):
    check(text)
    return text.format_map(values)


def my_sessions(registration):
    """The person's seats and waitlist places, a line each, in the active language."""
    lines = []
    for booking in registration.bookings.live():
        starts = timezone.localtime(booking.session.starts_at, registration.event.tz)
        when = formats.date_format(starts, pgettext("date format", "l j F, H:i"))
        place = (pgettext("a person's place in a session", "seat confirmed")
                 if booking.status == Booking.Status.CONFIRMED else
                 pgettext("a person's place in a session", "seat held") if booking.status == Booking.Status.HELD else
                 _("waitlist, position %(position)s") % {"position": booking.waitlist_position})
        lines.append(f"- {when} {booking.session.title} ({place})")
    return "\n".join(lines) or _("No session booked.")


# What a preview shows instead of the first recipient's private link: whoever previews a mailing
# may not be allowed to open that person's registration.
PREVIEW_LINK = "https://…/registration/…/"


def values_for(registration, preview=False):
    # No private link for an address not confirmed yet (its owner has not proved it is theirs).
    link = "" if registration.status == Registration.Status.UNVERIFIED else (
        PREVIEW_LINK if preview else settings.SITE_URL + registration.get_absolute_url())
    return {
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "event": registration.event.name,
        "private_link": link,
        "my_sessions": my_sessions(registration),
        # Only someone checked in has a certificate; for the others the placeholder is empty.
        "certificate_link": (PREVIEW_LINK + "certificate.pdf" if preview else
                             settings.SITE_URL + reverse("registrations:certificate_pdf", args=[
                                 registration.event.slug, registration.token]))
        if link and registration.checked_in_at else "",
    }


def text_for(mailing, registration, preview=False):
    """(subject, body) of the mailing for this person, in the active language (an empty
    translation falls back to English)."""
    values = values_for(registration, preview)
    return " ".join(fill(mailing.subject, values).split()), fill(mailing.body, values)


def recipients(mailing):
    """The registrations the mailing reaches now, by its filters (each narrows the group)."""
    people = Registration.objects.filter(event=mailing.event)
    if mailing.registration_status != "any":
        people = people.filter(status=mailing.registration_status)
    if mailing.language != "any":
        people = people.filter(language=mailing.language)
    if mailing.checked_in != Mailing.CheckedIn.ANY:
        people = people.filter(checked_in_at__isnull=mailing.checked_in == Mailing.CheckedIn.NO)
    sessions = list(mailing.sessions.values_list("pk", flat=True)) if mailing.pk else []
    platforms = list(mailing.platforms.values_list("pk", flat=True)) if mailing.pk else []
    places = Booking.objects.all()
    if sessions:
        places = places.filter(session__in=sessions)
    if mailing.booking_status != Mailing.BookingStatus.ANY:
        places = places.filter(status=mailing.booking_status)
    elif sessions:
        places = places.exclude(status=Booking.Status.CANCELLED)
    if sessions or mailing.booking_status != Mailing.BookingStatus.ANY:
        people = people.filter(pk__in=places.values("registration_id"))
    if platforms:
        people = people.filter(Q(pk__in=Registration.platforms.through.objects.filter(
            platform__in=platforms).values("registration_id")))
    return people.order_by("last_name", "first_name", "pk")
