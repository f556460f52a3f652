"""The organisers' meetings page: the numbers, and the table plan of each slot (printable)."""
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from agenda.decorators import event_view
from networking.models import Meeting, MeetingSlot
from networking.directory import place_key
from registrations.staff import staff_only


def numbers(event, accepted):
    """Requests by status, and how many accepted meetings join different platforms (no
    platform in common), countries and regions: the event's purpose is to connect them."""
    counts = Meeting.objects.filter(requester__registration__event=event).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in Meeting.Status.values},
    )
    pairs = [(meeting.requester.registration, meeting.invitee.registration) for meeting in accepted]
    return {
        **counts,
        "across_platforms": sum(1 for one, other in pairs
                                if not {p.pk for p in one.platforms.all()} & {p.pk for p in other.platforms.all()}),
        "across_countries": sum(1 for one, other in pairs if one.country != other.country),
        "across_regions": sum(1 for one, other in pairs if region_key(one) != region_key(other)),
    }


def region_key(registration):
    return place_key(registration.country, registration.region, registration.region_other)


def table_plan(slots):
    """[(slot, [(table number, meeting or None)])] in time order."""
    plan = []
    for slot in slots:
        at_table = {meeting.table: meeting for meeting in slot.accepted}
        plan.append((slot, [(table, at_table.get(table)) for table in range(1, slot.tables + 1)]))
    return plan


@staff_only("registrations.view_registration")
@event_view
def meetings(request, event):
    accepted_here = Meeting.objects.filter(status=Meeting.Status.ACCEPTED).select_related(
        "requester__registration", "invitee__registration").prefetch_related(
        "requester__registration__platforms", "invitee__registration__platforms").order_by("table")
    slots = list(MeetingSlot.objects.filter(event=event).select_related("room").prefetch_related(
        Prefetch("meetings", queryset=accepted_here, to_attr="accepted")).order_by("starts_at", "room__name", "pk"))
    accepted = [meeting for slot in slots for meeting in slot.accepted]
    context = {"event": event, "numbers": numbers(event, accepted), "plan": table_plan(slots)}
    return render(request, "networking/staff_meetings.html", context)
