import functools

from django.http import Http404
from django.utils import timezone

from agenda.cache import cached_until_agenda_changes
from agenda.models import Event


SLUG_MAX_LENGTH = Event._meta.get_field("slug").max_length


def event_view(view):
    """Loads the event named by the URL's slug (404 if none) and shows its times in its own
    time zone. The view is called as view(request, event, ...).

    The event comes from the cache, like the agenda: every page of the event needs it, the
    sign-up POST (the busiest request) included."""

    @functools.wraps(view)
    def wrapper(request, event_slug, *args, **kwargs):
        event = None
        if len(event_slug) <= SLUG_MAX_LENGTH:  # longer is no event, and no cache key either
            event = cached_until_agenda_changes(
                f"event:{event_slug}", lambda: Event.objects.filter(slug=event_slug).first()
            )
        if event is None:
            raise Http404("No such event.")
        with timezone.override(event.tz):
            return view(request, event, *args, **kwargs)

    return wrapper
