"""Attendee lists as CSV that open cleanly in Excel, streamed in chunks.

UTF-8 with a byte-order mark (so Excel reads accents right), RFC 4180 quoting (the csv
module's default dialect: CRLF line ends, quotes doubled), and any cell that a spreadsheet
would run as a formula (starting with = + - @, tab, CR or LF) prefixed with a '.
"""
import csv

from django.db.models import Q
from django.utils import timezone
from django_countries import countries

from registrations import regions
from registrations.models import Answer, Booking, Registration
from registrations.questions import answer_in_words

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HEADER = [
    "registration id", "last name", "first name", "email", "organisation", "country", "region code", "region",
    "stakeholder type", "platforms", "sessions", "registered at", "checked in at", "registration status",
]  # then one column per question of the event


def neutralise(value):
    """A cell no spreadsheet will execute; every other value unchanged."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class Echo:
    """A file-like object whose write() returns the line: csv.writer then yields rows."""

    def write(self, value):
        return value


def attendees(event, session=None, platform=None, status=None):
    """The registrations the filters select. No status: everyone still registered, awaiting
    approval or their address's confirmation included (on the session, if given: confirmed,
    held and waitlisted). A status: those with a booking in that state
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
            registrations = registrations.filter(status__in=Registration.LIVE_STATUSES)
        if bookings:
            registrations = registrations.filter(bookings)
    if platform:
        registrations = registrations.filter(platforms=platform)
    return registrations.distinct()


FIELDS = ["id", "last_name", "first_name", "email", "organisation", "country", "region", "region_other",
          "stakeholder_type", "created_at", "checked_in_at", "status"]


def csv_rows(event, registrations):
    """Yields the CSV, BOM and header first, CHUNK registrations at a time: three queries a chunk
    (registrations, their platforms, their bookings), as plain tuples rather than model
    instances (ten times faster), memory bounded by the chunk."""
    writer = csv.writer(Echo())
    questions = list(event.questions.prefetch_related("options"))
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in [*HEADER, *(q.label for q in questions)]])
    # Looked up once per export: translating names row by row costs more than the rest.
    stakeholder_types = {value: str(label) for value, label in Registration.StakeholderType.choices}
    country_names = {code: str(name) for code, name in countries}
    statuses = {value: str(label) for value, label in Registration.Status.choices}
    last_id = 0
    while True:
        chunk = list(registrations.filter(id__gt=last_id).order_by("id").values_list(*FIELDS)[:CHUNK])
        if not chunk:
            return
        # The chunk's id range, not a list of its ids: one cheap range scan each, and what it
        # fetches for registrations outside the selection is simply not looked up.
        in_chunk = {"registration_id__gte": chunk[0][0], "registration_id__lte": chunk[-1][0]}
        platforms = grouped(
            Registration.platforms.through.objects.filter(**in_chunk)
            .order_by("platform__position", "platform__name")
            .values_list("registration_id", "platform__name")
        )
        bookings = grouped(
            (registration_id, f"{title} ({status})")
            for registration_id, title, status in Booking.objects.filter(**in_chunk)
            .order_by("session__starts_at", "session__title")
            .values_list("registration_id", "session__title", "status")
        )
        answers = answers_by_registration(questions, in_chunk)
        lines = []
        for pk, last, first, email, organisation, country, region, other, stakeholder, created, checked_in, status in chunk:
            found = regions.region(region)
            cells = [pk, last, first, email, organisation, country_names.get(country, country), region,
                     found.name if found else other,
                     stakeholder_types.get(stakeholder, stakeholder), "; ".join(platforms.get(pk, ())),
                     "; ".join(bookings.get(pk, ())), local_time(created, event), local_time(checked_in, event),
                     statuses.get(status, status), *(answers.get((pk, question.pk), "") for question in questions)]
            lines.append(writer.writerow([neutralise(cell) for cell in cells]))
        yield "".join(lines)
        last_id = chunk[-1][0]


def answers_by_registration(questions, in_chunk):
    """{(registration id, question id): answer in words} for a chunk: two queries."""
    if not questions:
        return {}
    by_id = {question.pk: question for question in questions}
    option_labels = {option.pk: option.label for question in questions for option in question.options.all()}
    chosen = grouped(
        ((registration_id, question_id), option_labels.get(option_id, ""))
        for registration_id, question_id, option_id in Answer.options.through.objects.filter(
            **{f"answer__{name}": value for name, value in in_chunk.items()}
        ).order_by("questionoption__position", "questionoption_id")
        .values_list("answer__registration_id", "answer__question_id", "questionoption_id")
    )
    return {
        (registration_id, question_id): answer_in_words(by_id[question_id], text, chosen.get((registration_id, question_id), []))
        for registration_id, question_id, text in Answer.objects.filter(**in_chunk).values_list(
            "registration_id", "question_id", "text")
    }


def grouped(pairs):
    """[(key, value), ...] -> {key: [value, ...]}, in the order given."""
    result = {}
    for key, value in pairs:
        result.setdefault(key, []).append(value)
    return result


def local_time(moment, event):
    return moment.astimezone(event.tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def file_name(event, session=None, platform=None, status=None):
    parts = [event.slug, "attendees"]
    parts += [part for part in (session and session.slug, platform and platform.slug, status) if part]
    return "-".join(parts) + f"-{timezone.localdate():%Y-%m-%d}.csv"
