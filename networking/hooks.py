"""What networking adds to registrations' private page, personal calendar, emails and sign-up
form, through registrations/extensions.py (registrations cannot import networking)."""
from urllib.parse import urlsplit

import icalendar
from django import forms
from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agenda.calendar import build_calendar
from networking.models import Meeting, Profile
from registrations import extensions
from registrations.emails import my_agenda_name
from registrations.models import OutgoingEmail

MEETING_KINDS = {"meeting_requested", "meeting_accepted", "meeting_declined", "meeting_cancelled"}


def meetings_of(registration):
    """The registration's meetings, requested or accepted, with both people and the place."""
    mine = Q(requester__registration=registration) | Q(invitee__registration=registration)
    return (Meeting.objects.filter(mine, status__in=Meeting.OPEN)
            .select_related("requester__registration", "invitee__registration", "slot__room"))


def private_page_section(registration, request):
    """The summary on the private page: accepted meetings, requests waiting, and the links."""
    event = registration.event
    if not event.matchmaking:
        return ""
    meetings = list(meetings_of(registration))
    accepted = sorted((meeting for meeting in meetings if meeting.status == Meeting.Status.ACCEPTED),
                      key=lambda meeting: meeting.slot.starts_at)
    for meeting in accepted:
        meeting.other = other_person(meeting, registration)
    waiting = sum(1 for meeting in meetings if meeting.status == Meeting.Status.REQUESTED
                  and meeting.invitee.registration_id == registration.pk)
    context = {"event": event, "registration": registration, "accepted": accepted, "waiting": waiting}
    return render_to_string("networking/_private_section.html", context, request=request)


def other_person(meeting, registration):
    """The registration of the other person of the meeting."""
    if meeting.requester.registration_id == registration.pk:
        return meeting.invitee.registration
    return meeting.requester.registration


def meeting_uid(meeting):
    # Stable: a calendar app updates the entry rather than adding one.
    return f"meeting-{meeting.pk}@{urlsplit(settings.SITE_URL).hostname or 's3days'}"


def calendar_events(registration):
    """The accepted meetings, as entries of the personal calendar (in the active language)."""
    if not registration.event.matchmaking:
        return []
    return [meeting_entry(meeting, registration) for meeting in
            meetings_of(registration).filter(status=Meeting.Status.ACCEPTED).order_by("slot__starts_at")]


def meeting_entry(meeting, registration):
    """The meeting as a calendar entry for one of its people; a cancelled one says so, with a
    higher SEQUENCE, so the calendar it was added to drops it."""
    event = registration.event
    other = other_person(meeting, registration)
    entry = icalendar.Event()
    entry.add("uid", meeting_uid(meeting))
    entry.add("summary", _("Meeting with %(name)s (%(organisation)s)") % {
        "name": other.full_name, "organisation": other.organisation})
    entry.add("dtstart", meeting.slot.starts_at.astimezone(event.tz))
    entry.add("dtend", meeting.slot.ends_at.astimezone(event.tz))
    entry.add("dtstamp", meeting.updated_at)
    place = _("%(room)s, table %(table)s") % {"room": meeting.slot.room.name, "table": meeting.table}
    entry.add("location", ", ".join(part for part in (place, event.venue, event.city) if part))
    # The event's public page, never the private link: calendar entries get shared.
    entry.add("description", settings.SITE_URL + event.get_absolute_url())
    entry.add("sequence", 1 if meeting.status == Meeting.Status.CANCELLED else 0)
    if meeting.status == Meeting.Status.CANCELLED:
        entry.add("status", "CANCELLED")
    return entry


def email_context(email):
    """A meeting email's context: the meeting, the other person, and the links."""
    if email.kind not in MEETING_KINDS:
        return {}
    meeting = (Meeting.objects.select_related("requester__registration", "invitee__registration", "slot__room")
               .filter(pk=email.context.get("meeting")).first())
    if meeting is None:
        return {}
    registration = email.registration
    event = registration.event
    return {
        "meeting": meeting,
        "other": other_person(meeting, registration),
        "meetings_url": settings.SITE_URL + reverse("networking:meetings", args=[event.slug, registration.token]),
        "left": email.context.get("left", False),
        "people_url": settings.SITE_URL + reverse("networking:people", args=[event.slug, registration.token]),
    }


def email_attachments(email):
    """A cancelled meeting's email carries its calendar entry, cancelled, for the calendar the
    accepted meeting's entry went into."""
    if email.kind != OutgoingEmail.Kind.MEETING_CANCELLED:
        return []
    meeting = (Meeting.objects.select_related("requester__registration", "invitee__registration", "slot__room")
               .filter(pk=email.context.get("meeting"), slot__isnull=False).first())
    if meeting is None:  # a request withdrawn before any acceptance: never in a calendar
        return []
    event = email.registration.event
    calendar = build_calendar(event, [], my_agenda_name(event), [meeting_entry(meeting, email.registration)])
    return [("cancelled-meeting.ics", calendar, "text/calendar")]


def busy_times(registration):
    """The person's accepted meetings, as times their own change of sessions must not book over."""
    if not registration.event.matchmaking:
        return []
    return [(meeting.slot.starts_at, meeting.slot.ends_at,
             _("your meeting with %(name)s") % {"name": other_person(meeting, registration).full_name})
            for meeting in meetings_of(registration).filter(status=Meeting.Status.ACCEPTED).select_related("slot")]


class SignupOptIn:
    """The sign-up form's question: who may see my networking profile (when matchmaking is on)."""

    FIELD = "networking_visibility"

    def fields(self, event):
        if not event.matchmaking:
            return {}
        return {self.FIELD: forms.ChoiceField(
            label=gettext_lazy("Networking: who may see your profile"),
            help_text=gettext_lazy("Other participants can find you and ask you for a one-to-one meeting; your "
                                   "email address is never shown. You can change this on your private page."),
            choices=Profile.Visibility.choices, initial=Profile.Visibility.HIDDEN, widget=forms.RadioSelect,
            required=False,  # not answered (a form without the question, a script): hidden
        )}

    def saved(self, registration, cleaned_data):
        from networking import services  # services imports registrations' services: not at app loading

        visibility = cleaned_data.get(self.FIELD)
        if visibility and visibility != Profile.Visibility.HIDDEN:
            services.set_visibility(registration, visibility)


def registration_closed(registration):
    """Someone who leaves the event meets nobody: their requests and meetings are cancelled and
    the other people told. Their registration is locked, and every meeting write locks both its
    people, so nothing else can change these meetings meanwhile (networking/services.py)."""
    from registrations import outbox  # services-level module: not at app loading

    for meeting in meetings_of(registration):
        meeting.status = Meeting.Status.CANCELLED
        meeting.save(update_fields=["status", "updated_at"])
        # `left`: the other person did not cancel; their registration ended (cancelled by them,
        # or rejected or expired), and the email says so rather than "X has cancelled".
        outbox.queue(other_person(meeting, registration), OutgoingEmail.Kind.MEETING_CANCELLED, meeting=meeting.pk,
                     left=True)


def anonymise(registrations):
    """What people wrote in their own words may say who they are: profiles and messages go;
    meetings stay counted."""
    Profile.objects.filter(registration__in=registrations).update(
        about="", expertise="", offers="", looking_for="", visibility=Profile.Visibility.HIDDEN)
    mine = Q(requester__registration__in=registrations) | Q(invitee__registration__in=registrations)
    Meeting.objects.filter(mine).update(message="")


def personal_data(registration):
    """The person's profile and meetings, for the export of everything held about them."""
    profile = Profile.objects.filter(registration=registration).first()
    if profile is None:
        return {}
    meetings = (Meeting.objects.filter(Q(requester=profile) | Q(invitee=profile))
                .select_related("requester__registration", "invitee__registration", "slot__room"))
    return {
        "networking_profile": {
            "visibility": profile.visibility, "about": profile.about, "expertise": profile.expertise,
            "offers": profile.offers, "looking_for": profile.looking_for, "accepts_requests": profile.accepts_requests,
        },
        "meetings": [
            {"with": other_person(meeting, registration).full_name,
             "asked_by_me": meeting.requester_id == profile.pk, "message": meeting.message, "status": meeting.status,
             "starts_at": meeting.slot and meeting.slot.starts_at.isoformat(), "table": meeting.table,
             "asked_at": meeting.created_at.isoformat()}
            for meeting in meetings
        ],
    }


def register():
    """Adds networking's providers, once however often the app is made ready."""
    for providers, provider in [(extensions.private_page_sections, private_page_section),
                                (extensions.calendar_events, calendar_events),
                                (extensions.email_context, email_context),
                                (extensions.email_attachments, email_attachments),
                                (extensions.busy_times, busy_times),
                                (extensions.registration_closed, registration_closed),
                                (extensions.anonymised, anonymise),
                                (extensions.personal_data, personal_data)]:
        if provider not in providers:
            providers.append(provider)
    if not any(isinstance(part, SignupOptIn) for part in extensions.signup_fields):
        extensions.signup_fields.append(SignupOptIn())
