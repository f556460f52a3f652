import datetime
import hashlib

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag

from agenda import schedule
from agenda.cache import cached_until_agenda_changes
from agenda.calendar import build_calendar
from agenda.decorators import event_view
from agenda.models import Event, Platform


def event_list(request):
    events = list(Event.objects.all())
    if len(events) == 1:
        return redirect(events[0])
    return render(request, "agenda/event_list.html", {"events": events})


def programme(event):
    """The event's sessions with everything the agenda shows, in a fixed number of queries."""
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


def agenda(request, event_slug):
    # The agenda is the same for everyone: the whole page is rendered once every few seconds
    # (its seat counts may be that old), and at once after an organiser changes the programme
    # (the page is stored with the agenda version it was made from). A cached page costs one
    # cache round trip and no query.
    if request.GET.get("platform") or request.GET.get("day"):
        return filtered_agenda(request, event_slug)
    return HttpResponse(with_csrf_token(request, agenda_page(request, event_slug)))


@event_view
def filtered_agenda(request, event):
    """One platform's sessions, one day's, or both. A filter that names no platform, or no day of
    the event, is a 404: no query string can make a render and a cache entry of its own."""
    platform_slug, day = request.GET.get("platform", ""), request.GET.get("day", "")
    if platform_slug and platform_slug not in platform_slugs():
        raise Http404("No such platform.")
    if day and day not in {event_day.isoformat() for event_day in event.days}:
        raise Http404("Not a day of this event.")
    return HttpResponse(with_csrf_token(request, agenda_page(request, event.slug, platform_slug, day)))


def with_csrf_token(request, html):
    """The cached page is the same for everyone; the language switcher's form needs this
    visitor's CSRF token, which base.html leaves a marker for."""
    return html.replace("<!-- csrf_token -->", str(csrf_input(request)), 1)


def platform_slugs():
    return cached_until_agenda_changes("platform-slugs", lambda: set(Platform.objects.values_list("slug", flat=True)))


def agenda_page(request, event_slug, platform_slug="", day=""):
    key = f"agenda-page:{event_slug}:{platform_slug}:{day}"
    return cached_until_agenda_changes(key, lambda: render_agenda(request, event_slug, platform_slug, day))


@event_view
def render_agenda(request, event, platform_slug, day):
    platform = Platform.objects.filter(slug=platform_slug).first() if platform_slug else None
    day = datetime.date.fromisoformat(day) if day else None
    sessions = programme(event)
    if platform:
        sessions = sessions.filter(platform=platform)
    if day:
        sessions = sessions.on_day(day, event.tz)
    context = {
        "event": event,
        "sessions": sessions,
        "platforms": Platform.objects.all(),
        "chosen_platform": platform,
        "chosen_day": day,
        "registration_open": event.registration_state() == "open",
    }
    return render_to_string("agenda/agenda.html", context)


@event_view
def session_detail(request, event, session_slug):
    session = get_object_or_404(programme(event), slug=session_slug)
    return render(request, "agenda/session_detail.html", {"event": event, "session": session})


def with_etag(request, response):
    """An ETag from the content, so calendar and conference apps that poll get a 304 when
    nothing changed (the feeds are deterministic: DTSTAMP is the session's last change)."""
    etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)


def calendar_response(request, content, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return with_etag(request, response)


@event_view
def agenda_ics(request, event):
    sessions = event.sessions.select_related("room").order_by("starts_at")
    return calendar_response(request, build_calendar(event, sessions, event.name), f"{event.slug}.ics")


@event_view
def session_ics(request, event, session_slug):
    session = get_object_or_404(event.sessions.select_related("room"), slug=session_slug)
    return calendar_response(request, build_calendar(event, [session], session.title), f"{session.slug}.ics")


@event_view
def agenda_json(request, event):
    sessions = event.sessions.select_related("room", "platform").prefetch_related("speakers").order_by("starts_at")
    response = JsonResponse(schedule.frab_schedule(event, sessions), json_dumps_params={"ensure_ascii": False})
    return with_etag(request, response)
