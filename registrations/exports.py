"""Attendee lists as CSV and XLSX that open cleanly in Excel, built in chunks, with every field
collected, one column per session (confirmed, held, waitlist N, cancelled) and per question.

CSV: UTF-8 with a byte-order mark (so Excel reads accents right), RFC 4180 quoting (the csv
module's default dialect: CRLF line ends, quotes doubled), comma or semicolon separated, and any
cell that a spreadsheet would run as a formula (starting with = + - @, tab, CR or LF) prefixed
with a '. XLSX: openpyxl's write-only mode, text cells typed as text.
"""
import csv
import datetime
import tempfile

import openpyxl
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from agenda.models import Partnership, Platform
from registrations import regions
from registrations.models import Answer, Booking, Registration
from registrations.questions import answer_in_words

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_STARTS)
HEADER = [
    "registration id", "last name", "first name", "email", "organisation", "country", "region code", "region",
    "stakeholder type", "platforms", "sessions", "registered at", "checked in at", "registration status",
]
EXTRA_HEADER = ["partnerships", "language", "dietary needs", "accessibility needs", "listed"]
# then one column per registrable session of the event, and one per question


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
          "stakeholder_type", "created_at", "checked_in_at", "status", "language", "dietary_needs",
          "accessibility_needs", "listed_consent_at"]


def header(sessions, questions):
    return [*HEADER, *EXTRA_HEADER, *(session.title for session in sessions), *(question.label for question in questions)]


def rows(event, registrations):
    """(header, chunks): the header row, and an iterator over lists of rows (plain values: ids as
    numbers, times as the event's local naive datetimes, the rest text), CHUNK registrations at a
    time. Six queries a chunk (registrations, platforms, partnerships, bookings with their waitlist
    positions, answers, options chosen), as plain tuples rather than model instances (ten times
    faster), memory bounded by the chunk."""
    questions = list(event.questions.prefetch_related("options"))
    # Cancelled ones too: their column says who was booked ("cancelled").
    sessions = list(event.sessions.filter(Q(registrable=True) | Q(cancelled_at__isnull=False)).order_by(
        "starts_at", "title"))
    return header(sessions, questions), _chunks(event, registrations, sessions, questions)


def waitlist_positions(event):
    """{booking id: its place in its session's waitlist}, for the whole event in one query (a
    position per booking in SQL is a subquery per row, which costs more than the export)."""
    positions, session, place = {}, None, 0
    for booking_id, session_id in Booking.objects.filter(
        session__event=event, status=Booking.Status.WAITLISTED
    ).order_by("session_id", "id").values_list("id", "session_id"):
        place = place + 1 if session_id == session else 1
        session = session_id
        positions[booking_id] = place
    return positions


def _chunks(event, registrations, sessions, questions):
    # Looked up once per export: translating names row by row costs more than the rest.
    stakeholder_types = {value: str(label) for value, label in Registration.StakeholderType.choices}
    country_names = {code: str(name) for code, name in countries}
    statuses = {value: str(label) for value, label in Registration.Status.choices}
    languages = dict(settings.LANGUAGES)
    yes_no = {True: str(_("Yes")), False: str(_("No"))}
    positions = waitlist_positions(event)
    # Names in the active language, read through the models (modeltranslation does not rewrite
    # lookups made from a through table or across relations in values_list: those give the
    # original column, whatever the language).
    platform_names = {platform.pk: platform.name for platform in Platform.objects.all()}
    partnership_names = {partnership.pk: partnership.name for partnership in Partnership.objects.all()}
    session_titles = {session.pk: session.title for session in event.sessions.all()}
    last_id = 0
    while True:
        chunk = list(registrations.filter(id__gt=last_id).order_by("id").values_list(*FIELDS)[:CHUNK])
        if not chunk:
            return
        # The chunk's id range, not a list of its ids: one cheap range scan each, and what it
        # fetches for registrations outside the selection is simply not looked up.
        in_chunk = {"registration_id__gte": chunk[0][0], "registration_id__lte": chunk[-1][0]}
        platforms = grouped(
            (registration_id, platform_names[platform_id]) for registration_id, platform_id in
            Registration.platforms.through.objects.filter(**in_chunk)
            .order_by("platform__position", "platform_id").values_list("registration_id", "platform_id")
        )
        partnerships = grouped(
            (registration_id, partnership_names[partnership_id]) for registration_id, partnership_id in
            Registration.partnerships.through.objects.filter(**in_chunk)
            .order_by("partnership__platform__position", "partnership_id")
            .values_list("registration_id", "partnership_id")
        )
        places, summaries = {}, {}
        for booking_id, registration_id, session_id, status in (
            Booking.objects.filter(**in_chunk).order_by("session__starts_at", "session_id")
            .values_list("id", "registration_id", "session_id", "status")
        ):
            position = positions.get(booking_id)
            places[registration_id, session_id] = f"waitlist {position}" if position else status
            summaries.setdefault(registration_id, []).append(f"{session_titles[session_id]} ({status})")
        answers = answers_by_registration(questions, in_chunk)
        block = []
        for (pk, last, first, email, organisation, country, region, other, stakeholder, created, checked_in, status,
             language, dietary, accessibility, listed) in chunk:
            found = regions.region(region)
            block.append([
                pk, last, first, email, organisation, country_names.get(country, country), region,
                found.name if found else other, stakeholder_types.get(stakeholder, stakeholder),
                "; ".join(platforms.get(pk, ())), "; ".join(summaries.get(pk, ())), local_time(created, event),
                local_time(checked_in, event), statuses.get(status, status),
                "; ".join(partnerships.get(pk, ())), languages.get(language, language), dietary, accessibility,
                yes_no[listed is not None],
                *(places.get((pk, session.pk), "") for session in sessions),
                *(answers.get((pk, question.pk), "") for question in questions),
            ])
        yield block
        last_id = chunk[-1][0]


def csv_rows(event, registrations, delimiter=","):
    """Yields the CSV, BOM and header first, a chunk of lines at a time. A semicolon delimiter
    suits Excel in the locales whose decimal separator is a comma (it opens a comma file in one
    column)."""
    writer = csv.writer(Echo(), delimiter=delimiter)
    titles, chunks = rows(event, registrations)
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in titles])
    for block in chunks:
        yield "".join(writer.writerow([csv_cell(cell) for cell in row]) for row in block)


def xlsx_file(event, registrations):
    """The same rows as an .xlsx workbook in a temporary file (openpyxl's write-only mode: memory
    flat in the number of rows). Text cells are typed as text, so nothing that looks like a
    formula runs; characters XML cannot hold are dropped."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Attendees")
    titles, chunks = rows(event, registrations)
    sheet.append([text_cell(sheet, title) for title in titles])
    for block in chunks:
        for row in block:
            sheet.append([xlsx_value(sheet, cell) for cell in row])
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output


def xlsx_value(sheet, value):
    """What openpyxl gets for one cell: nothing for an empty one (not written at all: a third
    of the cells), a text cell for a string it would take for a formula or that XML cannot
    hold, the value itself otherwise."""
    if value == "" or value is None:
        return None
    if isinstance(value, str) and (value[0] == "=" or ILLEGAL_CHARACTERS_RE.search(value)):
        return text_cell(sheet, value)
    return value


def text_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # never a formula, whatever it starts with
    return cell


def csv_cell(value):
    """neutralise() of the value as text, in one call (it runs for every cell of the export)."""
    if value.__class__ is str:
        return "'" + value if value[:1] in FORMULA_FIRST_CHARACTERS else value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return neutralise(value)


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
    """The event's local time, without its zone (spreadsheets take naive times)."""
    return moment.astimezone(event.tz).replace(tzinfo=None, second=0, microsecond=0) if moment else None


def file_name(event, session=None, platform=None, status=None, extension="csv"):
    parts = [event.slug, "attendees"]
    parts += [part for part in (session and session.slug, platform and platform.slug, status) if part]
    return "-".join(parts) + f"-{timezone.localdate():%Y-%m-%d}.{extension}"
