"""The one seam between the agenda's admin and the seats: every organiser's edit of the programme.

Why here and only here: organisers change sessions, rooms and capacities only through the admin
pages of Event (with its Room and Session inlines), Session and Room, and every write a
ModelAdmin makes goes through one of three views: changeform_view (add and change, inlines
included), delete_view, and changelist_view (bulk actions such as "delete selected").
SeatsFollowProgramme wraps those three in services.programme_edit, which locks the sessions
before anything is written and settles the seats afterwards, in the same transaction; the
forms below refuse a capacity below the seats taken with a message on the field. A model
signal would also catch edits from the shell, but would run after the rows are written
(too late to lock in the rule's order) and hide core logic; tests/test_programme_admin.py
checks that every admin page of these models uses this mixin and these forms.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agenda import admin as agenda_admin
from agenda.models import Event, Room, Session
from registrations import services
from registrations.admin_pages import action_page, confirmed
from registrations.inputs import digits
from registrations.models import Booking
from registrations.questions_admin import QuestionInline
from registrations.services import people


class SessionSeatsForm(forms.ModelForm):
    """A session's capacity (its own, else its room's) may not go below the seats taken."""

    def clean(self):
        cleaned = super().clean()
        session = self.instance
        if session.pk is None:
            return cleaned
        capacity = cleaned.get("capacity") if "capacity" in self.fields else session.capacity
        room = cleaned.get("room") if "room" in self.fields else session.room
        limit = capacity if capacity is not None else (room.capacity if room else None)
        taken = services.seats_taken(session)  # exact: programme_edit holds the session's lock
        if limit is not None and limit < taken:
            values = {"count": taken, "room": room, "room_seats": room.capacity if room else None}
            if capacity is not None:
                message = ngettext(
                    "%(count)d person holds a seat in this session, so it needs at least %(count)d seat.",
                    "%(count)d people hold seats in this session, so it needs at least %(count)d seats.", taken)
            else:
                message = ngettext(
                    "%(count)d person holds a seat in this session, so it needs at least %(count)d seat (its room, "
                    "%(room)s, has %(room_seats)d).",
                    "%(count)d people hold seats in this session, so it needs at least %(count)d seats (its room, "
                    "%(room)s, has %(room_seats)d).", taken)
            self.add_error("capacity", message % values)
        return cleaned


class RoomSeatsForm(forms.ModelForm):
    """A room's capacity may not go below the seats taken in a session that uses it, and a room
    with sessions stays with their event (the seam locks an event's sessions: a room moved
    away would take seats of the old event past its locks)."""

    def clean_event(self):
        event = self.cleaned_data.get("event")
        if self.instance.pk and event and event.pk != self.instance.event_id and self.instance.sessions.exists():
            raise forms.ValidationError(_("Sessions take place in this room: it stays with their event."))
        return event

    def clean_capacity(self):
        capacity = self.cleaned_data.get("capacity")
        if self.instance.pk is None or capacity is None:
            return capacity
        for session in self.instance.sessions.filter(capacity__isnull=True).order_by("pk"):
            taken = services.seats_taken(session)
            if taken > capacity:
                raise forms.ValidationError(ngettext(
                    "“%(session)s” takes its seats from this room and %(count)d person holds a seat in it, so the "
                    "room needs at least %(count)d.",
                    "“%(session)s” takes its seats from this room and %(count)d people hold seats in it, so the "
                    "room needs at least %(count)d.", taken) % {"session": session, "count": taken})
        return capacity


class SeatsFollowProgramme:
    """Runs every write view of the page inside services.programme_edit (see the module's
    docstring), then tells the organiser who was promoted and who will hear of a move."""

    event_field = "event_id"  # how the page's objects name their event

    def events_touched(self, request, object_id):
        if request.POST.get("select_across") == "1":
            return list(Event.objects.values_list("pk", flat=True))
        pks = digits([object_id] if object_id else request.POST.getlist(ACTION_CHECKBOX_NAME))
        touched = set(self.model.objects.filter(pk__in=pks).values_list(self.event_field, flat=True))
        return touched | set(digits(request.POST.getlist("event")))  # a session or room moved to another event

    def edit(self, request, object_id, view):
        if request.method != "POST":
            return view()
        try:
            with services.programme_edit(self.events_touched(request, object_id)) as edit:
                response = view()
        except services.SeatsTaken as refused:
            list(messages.get_messages(request))  # drops the admin's "changed successfully": nothing was
            self.message_user(request, str(refused), messages.ERROR)
            return redirect(request.get_full_path())
        for session, promoted in edit.promoted.items():
            self.message_user(request, _("“%(session)s”: %(people)s confirmed from the waitlist.") % {
                "session": session, "people": people(len(promoted))})
        for session, told in edit.moved.items():
            self.message_user(request, _("“%(session)s” moved: %(people)s booked on it will get an email.") % {
                "session": session, "people": people(told)})
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.edit(request, object_id, lambda: super(SeatsFollowProgramme, self).changeform_view(
            request, object_id, form_url, extra_context))

    def delete_view(self, request, object_id, extra_context=None):
        return self.edit(request, object_id, lambda: super(SeatsFollowProgramme, self).delete_view(
            request, object_id, extra_context))

    def changelist_view(self, request, extra_context=None):
        return self.edit(request, None, lambda: super(SeatsFollowProgramme, self).changelist_view(
            request, extra_context))


admin.site.unregister(Session)
admin.site.unregister(Event)
admin.site.unregister(Room)


@admin.register(Session)
class SessionAdmin(SeatsFollowProgramme, agenda_admin.SessionAdmin):
    form = SessionSeatsForm
    actions = ["cancel_sessions"]

    @admin.action(description=gettext_lazy("Cancel the selected sessions and tell everyone booked…"), permissions=["change"])
    def cancel_sessions(self, request, queryset):
        sessions = list(queryset.filter(cancelled_at__isnull=True).order_by("starts_at"))
        if not confirmed(request):
            booked = Booking.objects.filter(session__in=sessions).exclude(status=Booking.Status.CANCELLED)
            return action_page(self, request, "admin/agenda/cancel_sessions.html", _("Are you sure?"), sessions,
                               sessions=sessions, people=people(booked.values("registration_id").distinct().count()))
        told = sum(services.cancel_session(session) for session in sessions)
        self.message_user(request, _("%(sessions)s cancelled; %(people)s will get an email.") % {
            "sessions": ngettext("%(count)d session", "%(count)d sessions", len(sessions)) % {"count": len(sessions)},
            "people": people(told)}, messages.SUCCESS)
        return None


@admin.register(Room)
class RoomAdmin(SeatsFollowProgramme, agenda_admin.RoomAdmin):
    form = RoomSeatsForm


class RoomInline(agenda_admin.RoomInline):
    form = RoomSeatsForm


class SessionInline(agenda_admin.SessionInline):
    form = SessionSeatsForm


class NewEditionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("name of the new edition"), max_length=200)
    slug = forms.SlugField(label=gettext_lazy("its address (slug)"), max_length=80)
    start_date = forms.DateField(label=gettext_lazy("its first day"), help_text=gettext_lazy("YYYY-MM-DD"))

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Event.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("An event already has this address."))
        return slug


@admin.register(Event)
class EventAdmin(SeatsFollowProgramme, agenda_admin.EventAdmin):
    event_field = "pk"
    inlines = [RoomInline, SessionInline, QuestionInline]
    actions = ["duplicate_event"]

    @admin.action(description=gettext_lazy("Duplicate for a new edition…"), permissions=["add"])
    def duplicate_event(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, _("Choose one event to duplicate."), messages.ERROR)
            return None
        [event] = events
        form = NewEditionForm(request.POST if confirmed(request) else None)
        if form.is_bound and form.is_valid():
            new = services.duplicate_event(event, **form.cleaned_data)
            self.message_user(request, _("“%(new)s” is ready: rooms, sessions and questions copied, nobody registered.")
                              % {"new": form.cleaned_data["name"]}, messages.SUCCESS)
            return redirect("admin:agenda_event_change", new.pk)
        return action_page(self, request, "admin/agenda/duplicate_event.html", _("Duplicate for a new edition"),
                           [event], form=form, event=event)
