from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agenda.calendar import build_calendar
from agenda.decorators import event_view
from agenda.models import Event, Platform


def event_list(request):
    events = list(Event.objects.all())
    if len(events) == 1:
        return redirect(events[0])
    return render(request, "agenda/event_list.html", {"events": events})


def programme(event):
    return (
        event.sessions.select_related("room", "platform")
        .prefetch_related("speakers")
        .with_seat_counts()
        .order_by("starts_at", "title")
    )


@event_view
def event_home(request, event):
    return render(
        request,
        "agenda/event_home.html",
        {
            "event": event,
            "platforms": Platform.objects.all(),
            "sessions": event.sessions.select_related("room", "platform").order_by("starts_at", "title"),
            "registration_state": event.registration_state(),
        },
    )


@event_view
def agenda(request, event):
    return render(request, "agenda/agenda.html", {"event": event, "sessions": programme(event)})


@event_view
def session_detail(request, event, session_slug):
    session = get_object_or_404(programme(event), slug=session_slug)
    return render(request, "agenda/session_detail.html", {"event": event, "session": session})


def calendar_response(content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@event_view
def agenda_ics(request, event):
    sessions = event.sessions.select_related("room").order_by("starts_at")
    return calendar_response(build_calendar(event, sessions, event.name), f"{event.slug}.ics")


@event_view
def session_ics(request, event, session_slug):
    session = get_object_or_404(event.sessions.select_related("room"), slug=session_slug)
    return calendar_response(build_calendar(event, [session], session.title), f"{session.slug}.ics")
