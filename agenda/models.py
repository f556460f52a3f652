"""The programme of an event: where, when, which platforms, which sessions.

This app knows nothing of registrations; seat counts are annotated through the reverse
relation name "bookings", which the registrations app declares.
"""
import datetime
import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(name):
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a known time zone (e.g. Europe/Madrid).")


def contrast_with_white(colour):
    """WCAG 2's contrast ratio of white text on `colour` (#rrggbb): 1 to 21."""
    def linear(channel):
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[index:index + 2], 16) / 255) for index in (1, 3, 5))
    return 1.05 / (0.2126 * red + 0.7152 * green + 0.0722 * blue + 0.05)


def validate_hex_colour(value):
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        raise ValidationError(f"{value!r} is not a colour written #rrggbb (e.g. #2e7d32).")
    # Badges and the staff page's charts write white on it.
    if contrast_with_white(value) < 4.5:
        raise ValidationError(f"White text on {value} has a contrast of {contrast_with_white(value):.1f}:1; "
                              "choose a darker colour (4.5:1 at least, e.g. #2e6b30).")


class Event(models.Model):
    class DataProtectionLaw(models.TextChoices):
        EU_INSTITUTIONS = "eu_institutions", _("Regulation (EU) 2018/1725, for EU institutions, bodies and agencies")
        GDPR = "gdpr", _("Regulation (EU) 2016/679, the General Data Protection Regulation")

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=80, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    host = models.CharField(max_length=200, help_text="Who organises it.")
    co_host = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    venue = models.CharField(max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/Madrid", validators=[validate_time_zone])
    start_date = models.DateField()
    end_date = models.DateField()
    registration_opens = models.DateTimeField(null=True, blank=True, help_text="Empty: open now.")
    registration_closes = models.DateTimeField(null=True, blank=True, help_text="Empty: never closes.")
    description = models.TextField(blank=True)
    practical_information = models.TextField(
        blank=True, help_text="Getting there, the venue, badges, Wi-Fi: sent with the reminder before the event."
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="Where participants write to the organisers: every page's footer, the private page, and the "
        "Reply-To of every email.",
    )
    controller = models.CharField(
        max_length=300, blank=True,
        help_text="Who decides why and how participants' personal data is processed, as the privacy notice names "
        "it. Empty: the host.",
    )
    dpo_email = models.EmailField("DPO email", blank=True, help_text="The data protection officer's address.")
    data_protection_law = models.CharField(
        max_length=20, choices=DataProtectionLaw.choices, default=DataProtectionLaw.EU_INSTITUTIONS,
        help_text="The law the privacy notice cites, and the authority it names for complaints.",
    )
    # Who gets in (registrations/services.py): all off, anyone may register at once.
    verify_email = models.BooleanField(
        default=False, help_text="Seats are held until the participant confirms their address from an email."
    )
    verification_hold_minutes = models.PositiveIntegerField(
        default=30, help_text="How long seats are held for an address not confirmed yet; then they go to the waitlist."
    )
    requires_approval = models.BooleanField(
        default=False, help_text="Registrations wait, with their seats held, until an organiser approves them."
    )
    invitation_only = models.BooleanField(
        default=False, help_text="Only people invited (Invitations, in the admin) can register."
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        null=True, blank=True, default=2,
        help_text="Each participant gets a reminder (programme, calendar, QR code, practical information) this many "
        "days before the first day. Empty: no reminder.",
    )
    matchmaking = models.BooleanField(
        default=False,
        help_text="Participants can publish a profile, find each other and book one-to-one meetings (networking).",
    )
    retention_days = models.PositiveIntegerField(
        default=365, help_text="Days after the event before `manage.py anonymise_registrations` anonymises its registrations."
    )

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="event_ends_after_it_starts"),
            models.CheckConstraint(
                condition=Q(registration_opens__isnull=True)
                | Q(registration_closes__isnull=True)
                | Q(registration_closes__gt=F("registration_opens")),
                name="event_registration_closes_after_it_opens",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("agenda:event_home", args=[self.slug])

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def days(self):
        count = (self.end_date - self.start_date).days + 1
        return [self.start_date + datetime.timedelta(days=offset) for offset in range(count)]

    @property
    def retention_ends(self):
        return self.end_date + datetime.timedelta(days=self.retention_days)

    def registration_state(self, now=None):
        """'open', 'not_yet' or 'closed': the registration period alone decides."""
        now = now or timezone.now()
        if self.registration_opens and now < self.registration_opens:
            return "not_yet"
        if self.registration_closes and now >= self.registration_closes:
            return "closed"
        return "open"


class Platform(models.Model):
    """A Smart Specialisation Thematic Platform (Agri-Food, Energy, Industrial Modernisation)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    short_description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists.")
    # Badges carry it as a band; white text sits on it, so keep it dark enough (4.5:1).
    colour = models.CharField(
        max_length=7, default="#1f4e79", validators=[validate_hex_colour],
        help_text="Colour on badges and charts, as #rrggbb; white text must stay readable on it.",
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Partnership(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="partnerships")
    name = models.CharField(max_length=200)
    lead_regions = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["platform__position", "name"]
        constraints = [models.UniqueConstraint(fields=["platform", "name"], name="partnership_unique_per_platform")]

    def __str__(self):
        return self.name


class Room(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=120)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Seats; empty: no limit.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="room_unique_per_event"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="room_capacity_not_negative"),
        ]

    def __str__(self):
        return self.name


class Speaker(models.Model):
    name = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SessionQuerySet(models.QuerySet):
    def registrable(self):
        return self.filter(registrable=True, cancelled_at__isnull=True)

    def on_day(self, day, tz):
        """Sessions starting on `day` as the event's clock reads it."""
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
        return self.filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))

    def with_seat_counts(self):
        """confirmed_count, held_count (kept for someone confirming their address or awaiting
        approval: taken all the same) and waitlisted_count."""
        return self.annotate(
            confirmed_count=Count("bookings", filter=Q(bookings__status="confirmed")),
            held_count=Count("bookings", filter=Q(bookings__status="held")),
            waitlisted_count=Count("bookings", filter=Q(bookings__status="waitlisted")),
        )


class Session(models.Model):
    class Kind(models.TextChoices):
        JOINT_CONFERENCE = "joint_conference", _("Joint conference")
        PLATFORM_MEETING = "platform_meeting", _("Platform meeting")
        PARTNERSHIP_MEETING = "partnership_meeting", _("Partnership meeting")
        PLENARY = "plenary", _("Plenary")
        BREAK = "break", _("Break")
        NETWORKING = "networking", _("Networking")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions")
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats for this session; empty: the room's capacity."
    )
    registrable = models.BooleanField(default=True, help_text="Participants book a seat for it.")
    # Set by registrations.services.cancel_session: the agenda shows it cancelled, its calendar
    # entry says so, and nobody can book it.
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    description = models.TextField(blank=True)
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="sessions")
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Calendar revision: grows when the time or the room changes."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "title"]
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="session_slug_unique_per_event"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="session_capacity_not_negative"),
        ]
        indexes = [models.Index(fields=["event", "starts_at"], name="session_event_start_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("agenda:session_detail", args=[self.event.slug, self.slug])

    def save(self, *args, **kwargs):
        # A new time or room is a new revision of the calendar entry (RFC 5545 SEQUENCE).
        # Who is told of it is registrations' business (services.programme_edit).
        if self.pk:
            before = Session.objects.filter(pk=self.pk).values_list(
                "starts_at", "ends_at", "room_id", "cancelled_at").first()
            if before and before != (self.starts_at, self.ends_at, self.room_id, self.cancelled_at):
                self.sequence += 1
        super().save(*args, **kwargs)

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "A session must end after it starts."})
        if self.room_id and self.event_id and self.room.event_id != self.event_id:
            raise ValidationError({"room": "This room belongs to another event."})

    @property
    def seat_limit(self):
        """Seats on offer: the session's own capacity, else its room's; None means no limit."""
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room else None

    @property
    def seats_left(self):
        """Free seats, from the with_seat_counts() annotation; None means no limit."""
        if self.seat_limit is None:
            return None
        return max(self.seat_limit - self.seats_taken, 0)

    @property
    def seats_taken(self):
        """Confirmed and held seats, from the with_seat_counts() annotation."""
        return self.confirmed_count + getattr(self, "held_count", 0)

    def overlaps(self, other):
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at
