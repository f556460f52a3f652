"""Organisers set meeting slots (time, room, tables) in the admin; profiles and meetings are
there to look at, and meetings change only through services.py (the lock rule, the emails)."""
from django import forms
from django.contrib import admin
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from networking.models import Meeting, MeetingSlot, Profile


class MeetingSlotForm(forms.ModelForm):
    class Meta:
        model = MeetingSlot
        fields = ["event", "starts_at", "ends_at", "room", "tables"]

    def clean(self):
        data = super().clean()
        starts_at, ends_at, room, event = (data.get(name) for name in ("starts_at", "ends_at", "room", "event"))
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("A slot must end after it starts."))
        if room and event and room.event_id != event.pk:
            self.add_error("room", _("This room belongs to another event."))
        if self.instance.pk and data.get("tables") is not None:
            # The slot's lock (the admin's save runs in this same transaction): no accept can
            # seat a meeting at a table we are removing meanwhile (networking/services.py, rule 3).
            slot = MeetingSlot.objects.select_for_update(no_key=True).get(pk=self.instance.pk)
            highest = slot.meetings.filter(status=Meeting.Status.ACCEPTED).aggregate(highest=Max("table"))["highest"]
            if highest and data["tables"] < highest:
                self.add_error("tables", ngettext(
                    "Table %(table)s has a meeting in this slot: keep at least %(table)s table.",
                    "Table %(table)s has a meeting in this slot: keep at least %(table)s tables.", highest,
                ) % {"table": highest})
            # A new time, room or event sends people to the wrong place, and nobody is told.
            moved = (starts_at, ends_at, room, event) != (slot.starts_at, slot.ends_at, slot.room, slot.event)
            if moved and slot.meetings.filter(status=Meeting.Status.ACCEPTED).exists():
                self.add_error("starts_at", _("Meetings are booked in this slot: cancel them before moving it."))
        return data


@admin.register(MeetingSlot)
class MeetingSlotAdmin(admin.ModelAdmin):
    form = MeetingSlotForm
    list_display = ["starts_at", "ends_at", "room", "tables", "event"]
    list_filter = ["event"]
    list_select_related = ["room", "event"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["registration", "visibility", "accepts_requests", "updated_at"]
    list_filter = ["visibility", "registration__event"]
    list_select_related = ["registration"]
    search_fields = ["registration__last_name", "registration__organisation"]
    readonly_fields = ["registration"]

    def has_add_permission(self, request):
        return False  # a participant's own page makes their profile


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["requester", "invitee", "status", "slot", "table", "created_at"]
    list_filter = ["status", "requester__registration__event"]
    list_select_related = ["requester__registration", "invitee__registration", "slot__room", "slot__event"]
    readonly_fields = ["requester", "invitee", "message", "status", "slot", "table"]

    def has_add_permission(self, request):
        return False  # requests come from participants, through services.request_meeting

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would tell nobody: people cancel through services.cancel, which emails
