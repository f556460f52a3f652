from django.shortcuts import redirect, render

from agenda.decorators import event_view
from agenda.models import Event, Platform


def event_list(request):
    events = list(Event.objects.all())
    if len(events) == 1:
        return redirect(events[0])
    return render(request, "agenda/event_list.html", {"events": events})


@event_view
def event_home(request, event):
    sessions = event.sessions.select_related("room", "platform").order_by("starts_at", "title")
    return render(
        request,
        "agenda/event_home.html",
        {
            "event": event,
            "platforms": Platform.objects.all(),
            "sessions": sessions,
            "registration_state": event.registration_state(),
        },
    )
