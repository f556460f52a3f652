from django.shortcuts import render

from agenda.decorators import event_view


@event_view
def privacy(request, event):
    return render(request, "registrations/privacy.html", {"event": event})
