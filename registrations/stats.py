"""The organisers' numbers for the staff page: each a list of (label, count) plus bar widths."""
from django.db.models import Count, Q
from django.db.models.functions import Lower, Trim, TruncDate
from django.utils.translation import gettext as _
from django_countries import countries

from agenda.models import Platform
from registrations import regions
from registrations.models import Registration


def bars(rows, maximum=None):
    """[(label, value)] -> [{label, value, width}] with width in % of the largest value."""
    largest = maximum or max((value for _, value in rows), default=0) or 1
    return [{"label": label, "value": value, "width": round(100 * value / largest, 1)} for label, value in rows]


def region_label(code):
    found = regions.region(code)
    return f"{found.name} ({code})" if found else code


def event_numbers(event, sessions):
    active = Registration.objects.filter(event=event, status=Registration.Status.ACTIVE)
    by_platform = Platform.objects.annotate(
        total=Count("registrations", filter=Q(registrations__in=active))
    ).values_list("name", "total")
    by_stakeholder = dict(active.values_list("stakeholder_type").annotate(total=Count("id")))
    by_country = active.values_list("country").annotate(total=Count("id")).order_by("-total", "country")
    by_region = list(active.exclude(region="").values_list("region").annotate(total=Count("id")).order_by("-total", "region"))
    # Places outside NUTS count as one region each, however people spelled them.
    other_places = active.filter(region="").exclude(region_other="").annotate(
        place=Lower(Trim("region_other"))).values("country", "place").distinct().count()
    per_day = (
        Registration.objects.filter(event=event)
        .annotate(day=TruncDate("created_at", tzinfo=event.tz))
        .values_list("day")
        .annotate(total=Count("id"))
        .order_by("day")
    )
    fill = [
        (session.title, round(100 * session.seats_taken / session.seat_limit) if session.seat_limit else 0)
        for session in sessions
        if session.registrable
    ]
    waiting = dict(Registration.objects.filter(
        event=event, status__in=[Registration.Status.PENDING, Registration.Status.UNVERIFIED]
    ).values_list("status").annotate(total=Count("id")).order_by())
    return {
        "total": active.count(),
        "pending": waiting.get(Registration.Status.PENDING, 0),
        "unverified": waiting.get(Registration.Status.UNVERIFIED, 0),
        "regions": len(by_region) + other_places,
        "countries": len(by_country),
        "charts": [
            (_("Registrations by platform"), bars(list(by_platform)), ""),
            (
                _("Registrations by kind of stakeholder"),
                bars([(label, by_stakeholder.get(value, 0)) for value, label in Registration.StakeholderType.choices]),
                "",
            ),
            (_("Registrations by country"), bars([(countries.name(code), total) for code, total in by_country]), ""),
            (_("Registrations by region"), bars([(region_label(code), total) for code, total in by_region]), ""),
            (_("Seats taken, per session"), bars(fill, maximum=100), "%"),
            (_("Registrations per day"), bars([(f"{day:%Y-%m-%d}", total) for day, total in per_day]), ""),
        ],
    }


def arrivals(event, session=None):
    """{"counts": {arrived, expected}, "sessions": [...]} for the check-in desk. At the door:
    active registrations and those checked in. For one session (the desk's ?session=): its
    confirmed seats and those checked into it. Per registrable session: confirmed seats, how many
    of their holders came through the door (`arrived`) and how many were checked into it
    (`in_session`). Two queries."""
    active = Registration.objects.filter(event=event, status=Registration.Status.ACTIVE)
    counts = active.aggregate(expected=Count("id"), arrived=Count("id", filter=Q(checked_in_at__isnull=False)))
    seated = Q(bookings__status="confirmed", bookings__registration__status=Registration.Status.ACTIVE)
    sessions = list(event.sessions.filter(registrable=True, cancelled_at__isnull=True).annotate(
        expected=Count("bookings", filter=seated),
        arrived=Count("bookings", filter=seated & Q(bookings__registration__checked_in_at__isnull=False)),
        in_session=Count("bookings", filter=seated & Q(bookings__checked_in_at__isnull=False)),
    ).order_by("starts_at", "title"))
    if session is not None:
        this = next((row for row in sessions if row.pk == session.pk), None)
        counts = {"expected": this.expected if this else 0, "arrived": this.in_session if this else 0}
    return {"counts": counts, "sessions": sessions}
