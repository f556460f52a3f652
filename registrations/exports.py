"""Attendee lists as CSV that open cleanly in Excel, streamed in chunks.

UTF-8 with a byte-order mark (so Excel reads accents right), RFC 4180 quoting (the csv
module's default dialect: CRLF line ends, quotes doubled), and any cell that a spreadsheet
would run as a formula (starting with = + - @, tab, CR or LF) prefixed with a '.
"""
import csv

from django.db.models import Prefetch, Q
from django.utils import timezone

from registrations.models import Booking, Registration

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HEADER = [
    "registration id", "last name", "first name", "email", "organisation", "country", "region",
    "stakeholder type", "platforms", "sessions", "registered at", "checked in at",
]


def neutralise(value):
    """A cell no spreadsheet will execute; every other value unchanged."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class Echo:
    """A file-like object whose write() returns the line: csv.writer then yields rows."""

    def write(self, value):
        return value


def attendees(event, session=None, platform=None, status=None):
    """The registrations the filters select. No status: everyone still registered (on the
    session, if given: confirmed and waitlisted). A status: those with a booking in that state
    (on the session, if given); 'cancelled' also takes cancelled registrations."""
    registrations = Registration.objects.filter(event=event)
    bookings = Q()
    if session:
        bookings &= Q(bookings__session=session)
    if status:
        bookings &= Q(bookings__status=status)
    elif session:
        bookings &= ~Q(bookings__status=Booking.Status.CANCELLED)
    if status == Booking.Status.CANCELLED and not session:
        registrations = registrations.filter(bookings | Q(status=Registration.Status.CANCELLED))
    else:
        if status != Booking.Status.CANCELLED:
            registrations = registrations.filter(status=Registration.Status.ACTIVE)
        if bookings:
            registrations = registrations.filter(bookings)
    if platform:
        registrations = registrations.filter(platforms=platform)
    return registrations.distinct()


def csv_rows(event, registrations):
    """Yields the CSV, BOM and header first, CHUNK registrations at a time: three queries a chunk
    (registrations, their platforms, their bookings), memory bounded by the chunk."""
    writer = csv.writer(Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    ids = registrations.order_by("id").values_list("id", flat=True)
    last_id = 0
    while True:
        chunk = list(
            Registration.objects.filter(pk__in=ids.filter(id__gt=last_id)[:CHUNK])
            .order_by("id")
            .prefetch_related(
                "platforms",
                Prefetch("bookings", queryset=Booking.objects.select_related("session").order_by("session__starts_at")),
            )
        )
        if not chunk:
            return
        yield "".join(writer.writerow([neutralise(cell) for cell in row(event, registration)]) for registration in chunk)
        last_id = chunk[-1].pk


def row(event, registration):
    def local(moment):
        return timezone.localtime(moment, event.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    return [
        registration.pk,
        registration.last_name,
        registration.first_name,
        registration.email,
        registration.organisation,
        registration.country.name,
        registration.region,
        registration.get_stakeholder_type_display(),
        "; ".join(platform.name for platform in registration.platforms.all()),
        "; ".join(f"{booking.session.title} ({booking.status})" for booking in registration.bookings.all()),
        local(registration.created_at),
        local(registration.checked_in_at),
    ]


def file_name(event, session=None, platform=None, status=None):
    parts = [event.slug, "attendees"]
    parts += [part for part in (session and session.slug, platform and platform.slug, status) if part]
    return "-".join(parts) + f"-{timezone.localdate():%Y-%m-%d}.csv"
