"""Networking: participants' profiles, their meeting requests, and the slots and tables the
organisers set aside for one-to-one meetings.

Platforms, partnerships, country, region and kind of stakeholder are the registration's: a
profile holds only what the participant adds for networking. Writes live in services.py.
"""
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agenda.models import Event, Room
from registrations.models import Registration


class ProfileQuerySet(models.QuerySet):
    def listed_to_participants(self, event):
        """Profiles other participants may see: shown to participants or to everyone, of
        admitted registrations that are still on."""
        return self.filter(
            registration__event=event,
            registration__status=Registration.Status.ACTIVE,
            visibility__in=[Profile.Visibility.PARTICIPANTS, Profile.Visibility.PUBLIC],
        )

    def public(self, event):
        return self.listed_to_participants(event).filter(visibility=Profile.Visibility.PUBLIC)


class Profile(models.Model):
    class Visibility(models.TextChoices):
        HIDDEN = "hidden", _("Hidden: nobody else sees it")
        PARTICIPANTS = "participants", _("Visible to the other participants")
        PUBLIC = "public", _("Public: also on the event's list of participants")

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="profile")
    visibility = models.CharField(
        _("who sees your profile"), max_length=20, choices=Visibility.choices, default=Visibility.HIDDEN
    )
    about = models.TextField(_("about you"), max_length=1000, blank=True)
    expertise = models.CharField(_("expertise"), max_length=300, blank=True)
    offers = models.TextField(_("what you offer"), max_length=1000, blank=True)
    looking_for = models.TextField(_("what you look for"), max_length=1000, blank=True)
    accepts_requests = models.BooleanField(_("other participants may ask me for a meeting"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["registration__last_name", "registration__first_name", "id"]
        verbose_name = _("networking profile")
        verbose_name_plural = _("networking profiles")
        indexes = [models.Index(fields=["visibility"], name="profile_visibility_idx")]

    def __str__(self):
        return self.registration.full_name

    @property
    def is_visible(self):
        return self.visibility != self.Visibility.HIDDEN


class MeetingSlot(models.Model):
    """A time set aside for one-to-one meetings, in a room with a number of tables."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="meeting_slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="meeting_slots", verbose_name=_("room"))
    tables = models.PositiveSmallIntegerField(_("tables"), default=10, help_text=_("Meetings at once in this slot."))

    class Meta:
        ordering = ["starts_at", "room__name", "id"]
        verbose_name = _("meeting slot")
        verbose_name_plural = _("meeting slots")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_slot_ends_after_it_starts"),
        ]

    def __str__(self):
        # The event's clock, as everywhere organisers read times (the admin shows this).
        starts, ends = (timezone.localtime(moment, self.event.tz) for moment in (self.starts_at, self.ends_at))
        return f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M}, {self.room}"

    def overlaps(self, starts_at, ends_at):
        return self.starts_at < ends_at and starts_at < self.ends_at


class Meeting(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.REQUESTED, Status.ACCEPTED)

    requester = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="meetings_sent")
    invitee = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="meetings_received")
    message = models.TextField(_("message"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    slot = models.ForeignKey(MeetingSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="meetings")
    table = models.PositiveSmallIntegerField(_("table"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            # The last word on double booking, whatever the services do: one accepted meeting per
            # table and slot.
            models.UniqueConstraint(
                fields=["slot", "table"], condition=Q(status="accepted"), name="meeting_one_per_table_and_slot"
            ),
            # One open request between two people, whoever asked.
            models.UniqueConstraint(
                Least("requester", "invitee"), Greatest("requester", "invitee"),
                condition=Q(status="requested"), name="meeting_one_open_request_per_pair",
            ),
            models.CheckConstraint(condition=~Q(requester=F("invitee")), name="meeting_not_with_oneself"),
            models.CheckConstraint(
                condition=Q(status="accepted", slot__isnull=False, table__isnull=False) | ~Q(status="accepted"),
                name="meeting_accepted_has_a_place",
            ),
        ]
        indexes = [models.Index(fields=["status", "slot"], name="meeting_status_slot_idx")]

    def __str__(self):
        return f"{self.requester} - {self.invitee} ({self.status})"
