import datetime
import re
import zoneinfo

from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils import formats, timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from agenda.cache import agenda_changed
from agenda.models import Event, Partnership, Platform, Room, Session, Speaker


def in_event_time(moment, event, format_name):
    """A moment as the event's clock shows it, for a change list; "–" for none."""
    return formats.date_format(timezone.localtime(moment, event.tz), format_name) if moment else "–"


def breakable(text, every=16):
    """`text` for a change list, free to wrap inside a word too long for its column (a name or
    an organisation typed as one word, an email address): a <wbr> after each @ . / or - of such a
    word and every `every` characters, so that the list still fits the screen."""
    def chunks(word):
        if len(word) <= every:
            return [word]
        parts = [part for part in re.split(r"(?<=[@./-])", word) if part]
        return [part[start:start + every] for part in parts for start in range(0, len(part), every)]

    return mark_safe("".join(
        "<wbr>".join(escape(chunk) for chunk in chunks(word)) for word in re.split(r"(\s+)", text)))


class RefreshesAgenda:
    """Any change an organiser saves here shows on the public agenda at the next request."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(agenda_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(agenda_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(agenda_changed)


class SessionInline(TranslationTabularInline):
    model = Session
    extra = 0
    fields = ["title", "slug", "kind", "platform", "room", "starts_at", "ends_at", "capacity", "registrable"]
    prepopulated_fields = {"slug": ["title"]}
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "platform", "room")


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Event)
class EventAdmin(RefreshesAgenda, TranslationAdmin):
    list_display = ["name", "city", "start_date", "end_date", "registration_opens", "registration_closes"]
    search_fields = ["name", "city"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RoomInline, SessionInline]


class DayFilter(admin.SimpleListFilter):
    """Sessions by the day they start on, as the event's own clock reads it."""

    title = _("day")
    parameter_name = "day"

    def lookups(self, request, model_admin):
        days = set()
        for starts_at, time_zone in Session.objects.values_list("starts_at", "event__time_zone"):
            days.add(starts_at.astimezone(zoneinfo.ZoneInfo(time_zone)).date())
        return [(day.isoformat(), formats.date_format(day, "D j M Y")) for day in sorted(days)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            day = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        matching = [
            session.pk
            for session in queryset.select_related("event").only("starts_at", "event__time_zone")
            if session.starts_at.astimezone(session.event.tz).date() == day
        ]
        return queryset.filter(pk__in=matching)


@admin.register(Session)
class SessionAdmin(RefreshesAgenda, TranslationAdmin):
    # Fits a 1280 px screen beside the admin's menu and filters, the counts in view, in English,
    # Spanish and Basque: kind, platform and "registrable" are filters; the room and the seats
    # go under the title.
    list_display = ["session", "local_time", "confirmed", "held", "waitlisted", "seats_left"]
    list_filter = [DayFilter, "kind", "platform", "room", "event", "registrable"]
    search_fields = ["title", "description", "speakers__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["speakers"]
    list_select_related = ["event", "room", "platform"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_seat_counts()

    @admin.display(description=_("Session"), ordering="title")
    def session(self, session):
        limit = session.seat_limit
        seats = gettext("no limit") if limit is None else ngettext(
            "%(count)d seat", "%(count)d seats", limit) % {"count": limit}
        if session.room is None:
            return format_html("{}<br>{}", session.title, seats)
        return format_html("{}<br>{}, {}", session.title, breakable(session.room.name), seats)

    @admin.display(description=_("when"), ordering="starts_at")
    def local_time(self, session):
        starts, ends = session.starts_at.astimezone(session.event.tz), session.ends_at.astimezone(session.event.tz)
        return f"{starts:%a %d %b %H:%M}-{ends:%H:%M} {starts.tzname()}"

    @admin.display(description=_("confirmed"), ordering="confirmed_count")
    def confirmed(self, session):
        return session.confirmed_count

    @admin.display(description=_("held"), ordering="held_count")
    def held(self, session):
        return session.held_count

    @admin.display(description=_("waiting"), ordering="waitlisted_count")
    def waitlisted(self, session):
        return session.waitlisted_count

    @admin.display(description=pgettext_lazy("seats left", "left"))
    def seats_left(self, session):
        return "-" if session.seats_left is None else session.seats_left


@admin.register(Room)
class RoomAdmin(RefreshesAgenda, admin.ModelAdmin):
    list_display = ["name", "event", "capacity", "session_count"]
    list_filter = ["event"]
    search_fields = ["name"]
    list_select_related = ["event"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(session_total=Count("sessions"))

    @admin.display(description=_("sessions"), ordering="session_total")
    def session_count(self, room):
        return room.session_total


@admin.register(Speaker)
class SpeakerAdmin(RefreshesAgenda, admin.ModelAdmin):
    list_display = ["name", "organisation", "role"]
    search_fields = ["name", "organisation"]


class PartnershipInline(TranslationTabularInline):
    model = Partnership
    extra = 0


@admin.register(Platform)
class PlatformAdmin(RefreshesAgenda, TranslationAdmin):
    list_display = ["name", "slug", "position", "colour", "partnership_count"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartnershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(partnership_total=Count("partnerships"))

    @admin.display(description=_("partnerships"), ordering="partnership_total")
    def partnership_count(self, platform):
        return platform.partnership_total


@admin.register(Partnership)
class PartnershipAdmin(RefreshesAgenda, TranslationAdmin):
    list_display = ["name", "platform", "lead_regions"]
    list_filter = ["platform"]
    search_fields = ["name", "lead_regions"]
    list_select_related = ["platform"]
