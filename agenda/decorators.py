import functools

from django.shortcuts import get_object_or_404
from django.utils import timezone

from agenda.models import Event


def event_view(view):
    """Loads the event named by the URL's slug (404 if none) and shows its times in its own
    time zone. The view is called as view(request, event, ...)."""

    @functools.wraps(view)
    def wrapper(request, event_slug, *args, **kwargs):
        event = get_object_or_404(Event, slug=event_slug)
        with timezone.override(event.tz):
            return view(request, event, *args, **kwargs)

    return wrapper
