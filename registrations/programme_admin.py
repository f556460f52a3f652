"""The agenda's admin pages, plus what only registrations knows."""
from django.contrib import admin

from agenda import admin as agenda_admin
from agenda.models import Event, Room, Session
from registrations import services

# The agenda's admin, plus what only this app knows: who is booked on a session that moves,
# and who waits for the seats a larger capacity (of the session or its room) frees.
admin.site.unregister(Session)
admin.site.unregister(Event)
admin.site.unregister(Room)


@admin.register(Session)
class SessionAdmin(agenda_admin.SessionAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        after_sessions_saved(request, self, [obj])


@admin.register(Event)
class EventAdmin(agenda_admin.EventAdmin):
    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Session:
            after_sessions_saved(request, self, [session for session, _ in formset.changed_objects])


@admin.register(Room)
class RoomAdmin(agenda_admin.RoomAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        after_sessions_saved(request, self, list(obj.sessions.all()))


def after_sessions_saved(request, model_admin, sessions):
    for session in sessions:
        promoted = services.promote_waitlist(session)
        if promoted:
            model_admin.message_user(request, f"“{session}”: {len(promoted)} people confirmed from the waitlist.")
        if getattr(session, "moved", False):
            count = services.notify_session_moved(session)
            model_admin.message_user(request, f"“{session}” moved: {count} booked participants will get an email.")
