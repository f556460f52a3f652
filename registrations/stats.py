"""The organisers' numbers for the staff page: the headline count and the charts under it.

Every chart counts active registrations, the people of the headline ("N participants from R
regions in C countries"), but one: seats per session count the seats taken, confirmed and held,
as the table of sessions does. Each chart's caption says which.
"""
from django.db.models import Count, Min, Q
from django.db.models.functions import Lower, Trim, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from agenda.models import Platform
from registrations import regions
from registrations.models import Registration

BAR_COLOUR = "#003399"  # the site's blue: 12.6:1 on white, well above the 3:1 a bar needs


def bar(label, value, width, text=None, colour=BAR_COLOUR, tip=None):
    """One row of a chart: its label and value in words (text: the value as shown, when not
    just the number), the bar's length in % of the chart's width (None: no bar), its colour,
    and the tooltip on the bar."""
    return {"label": label, "value": value, "text": str(value) if text is None else text,
            "width": None if width is None else round(width, 1), "colour": colour,
            "tip": tip or f"{label}: {value}"}


def bars(rows):
    """[(label, value)] or [(label, value, colour)] -> bars, the largest value the full width."""
    largest = max((row[1] for row in rows), default=0) or 1
    return [bar(row[0], row[1], 100 * row[1] / largest, colour=row[2] if len(row) > 2 else BAR_COLOUR)
            for row in rows]


def chart(title, caption, key, value, rows, track=False):
    """title: what the chart shows; caption: which population it counts; key and value: the
    headings of the label column and of the value (and bar) column; track: a grey full-width
    bar behind each bar, for shares of a whole."""
    return {"title": title, "caption": caption, "key": key, "value": value, "rows": rows, "track": track}


def region_label(code):
    found = regions.region(code)
    return f"{found.name} ({code})" if found else code


def seat_bars(sessions):
    """Seats taken (confirmed and held, as with_seat_counts() annotates them) of each open
    registrable session, the bar the share of its seats; a session without a limit has no bar."""
    rows = []
    for session in sessions:
        if not session.registrable or session.cancelled_at:
            continue
        taken, limit = session.seats_taken, session.seat_limit
        if limit is None:
            rows.append(bar(session.title, taken, None, text=_("%(taken)d, no limit") % {"taken": taken}))
            continue
        share = min(100 * taken / limit, 100) if limit else 100  # a session of 0 seats is full
        text = _("%(taken)d of %(seats)d") % {"taken": taken, "seats": limit}
        rows.append(bar(session.title, taken, share, text=text, tip=f"{session.title}: {round(share)}%"))
    return rows


def event_numbers(event, sessions):
    """The headline numbers and the charts. `sessions`: the event's sessions annotated by
    with_seat_counts(). Seven queries, however many people registered."""
    active = Registration.objects.filter(event=event, status=Registration.Status.ACTIVE)
    by_platform = Platform.objects.annotate(
        total=Count("registrations", filter=Q(registrations__in=active))
    ).values_list("name", "total", "colour")
    by_stakeholder = dict(active.values_list("stakeholder_type").annotate(total=Count("id")).order_by())
    kinds = [(label, by_stakeholder.get(value, 0)) for value, label in Registration.StakeholderType.choices]
    by_country = list(active.values_list("country").annotate(total=Count("id")).order_by("-total", "country"))
    nuts = list(active.exclude(region="").values_list("region").annotate(total=Count("id")).order_by())
    # Places outside NUTS count as one region each, however people spelled them; the chart
    # names each by one of its spellings (the first in alphabetical order) and its country.
    other_places = list(
        active.filter(region="").exclude(region_other="").annotate(place=Lower(Trim("region_other")))
        .values_list("country", "place").annotate(total=Count("id"), spelling=Min(Trim("region_other"))).order_by()
    )
    per_day = (
        active.annotate(day=TruncDate("created_at", tzinfo=event.tz))
        .values_list("day")
        .annotate(total=Count("id"))
        .order_by("day")
    )
    waiting = dict(Registration.objects.filter(
        event=event, status__in=[Registration.Status.PENDING, Registration.Status.UNVERIFIED]
    ).values_list("status").annotate(total=Count("id")).order_by())

    places = [(region_label(code), total) for code, total in nuts]
    places += [(f"{spelling} ({countries.name(country) or country})", total)
               for country, _place, total, spelling in other_places]
    places.sort(key=lambda place: (-place[1], place[0]))
    total = sum(count for _code, count in by_country)  # every registration has a country
    no_region = total - sum(count for _label, count in places)  # possible through the admin only
    region_rows = bars(places + ([(_("No region given"), no_region)] if no_region else []))
    active_people = _("Active registrations")
    return {
        "total": total,
        "pending": waiting.get(Registration.Status.PENDING, 0),
        "unverified": waiting.get(Registration.Status.UNVERIFIED, 0),
        "regions": len(places),
        "countries": len(by_country),
        "charts": [
            chart(_("Registrations by platform"),
                  _("Active registrations. A person may follow several platforms, so these add up to more than "
                    "the participants."),
                  _("Platform"), active_people, bars(list(by_platform))),
            chart(_("Registrations by kind of stakeholder"), _("Active registrations."), _("Kind of stakeholder"),
                  active_people, bars(kinds)),
            chart(_("Registrations by country"), _("Active registrations."), _("Country"), active_people,
                  bars([(countries.name(code), total) for code, total in by_country])),
            chart(_("Registrations by region"),
                  _("Active registrations. A place outside the NUTS regions counts once, however it was spelled."),
                  _("Region"), active_people, region_rows),
            chart(_("Seats taken, per session"),
                  _("Seats taken of each session's seats (the grey bar): confirmed (active registrations) and held "
                    "(people yet to confirm their address or to be approved), as in the table of sessions; "
                    "waitlist places are not seats."),
                  _("Session"), _("Seats taken"), seat_bars(sessions), track=True),
            chart(_("Registrations per day"), _("Active registrations, by the day they were made (the event's time)."),
                  _("Day"), active_people,
                  bars([(f"{day:%Y-%m-%d}", total) for day, total in per_day])),
        ],
    }


def arrivals(event, session=None):
    """{"counts": {arrived, expected, ever}, "sessions": [...]} for the check-in desk. At the
    door: active registrations, those who came today (the event's day), and those who came on
    any day. For one session (the desk's ?session=): its confirmed seats and those checked into
    it. Per registrable session: confirmed seats, how many of their holders came through the
    door on any day (`arrived`) and how many were checked into it (`in_session`). Two queries."""
    active = Registration.objects.filter(event=event, status=Registration.Status.ACTIVE)
    today = timezone.localdate(timezone.now(), event.tz)
    counts = active.aggregate(
        expected=Count("id", distinct=True), arrived=Count("arrivals", filter=Q(arrivals__day=today)),
        ever=Count("id", distinct=True, filter=Q(checked_in_at__isnull=False)))
    seated = Q(bookings__status="confirmed", bookings__registration__status=Registration.Status.ACTIVE)
    sessions = list(event.sessions.filter(registrable=True, cancelled_at__isnull=True).annotate(
        expected=Count("bookings", filter=seated),
        arrived=Count("bookings", filter=seated & Q(bookings__registration__checked_in_at__isnull=False)),
        in_session=Count("bookings", filter=seated & Q(bookings__checked_in_at__isnull=False)),
    ).order_by("starts_at", "title"))
    if session is not None:
        this = next((row for row in sessions if row.pk == session.pk), None)
        counts = {"expected": this.expected if this else 0, "arrived": this.in_session if this else 0, "ever": None}
    return {"counts": counts, "sessions": sessions}
