"""Every networking write: profiles, meeting requests, and scheduling accepted meetings.

The lock rule (DESIGN.md, registrations/services.py), the same on every path here:
  1. the registrations of both people, FOR NO KEY UPDATE, in primary-key order: a person's
     meetings and seats change one at a time (registrations' services lock the same row), and
     each meeting write locks both its people, so what either has accepted cannot change under us;
  2. no session is locked: sessions limit seats, not meetings. The one seat that can appear
     without the person's lock is a promotion from a waitlist; a waitlist place keeps its
     person busy as a seat does, so no promotion, whenever it commits, puts a seat over a
     meeting;
  3. then meeting slots, in primary-key order; their tables are counted under the slot's lock.
The partial unique index on (slot, table) of accepted meetings is the last word.

Emails: each step writes its outbox rows in the same transaction (registrations/outbox.py).
"""
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registrations import outbox
from registrations import services as registration_services
from registrations.models import Booking, OutgoingEmail, Registration
from networking.models import Meeting, MeetingSlot, Profile

# Open requests one person may have sent and not had answered: enough to network, too few to spam.
OPEN_REQUESTS_PER_PERSON = 10
# Requests to one person that ended (withdrawn or cancelled) before a new one is refused.
ASKS_OF_ONE_PERSON = 3

REQUESTED, ACCEPTED = Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED
DECLINED, CANCELLED = Meeting.Status.DECLINED, Meeting.Status.CANCELLED
Kind = OutgoingEmail.Kind


class MeetingRefused(Exception):
    """A request or an answer that cannot be carried out; str() says why, for the person."""


def lock_registrations(*registration_ids):
    """Rule 1: the registrations, locked in primary-key order; {pk: registration}."""
    locked = registration_services.locked_registrations().filter(pk__in=sorted(set(registration_ids))).order_by("pk")
    return {registration.pk: registration for registration in locked.select_related("event")}


def profile_of(registration):
    """The registration's profile, made (hidden) if it has none yet."""
    profile, _created = Profile.objects.get_or_create(registration=registration)
    return profile


@transaction.atomic
def save_profile(profile, **fields):
    """Saves what the participant wrote, under their registration's lock."""
    lock_registrations(profile.registration_id)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@transaction.atomic
def set_visibility(registration, visibility):
    """The opt-in of the sign-up form: who sees the new participant's profile."""
    lock_registrations(registration.pk)
    profile = profile_of(registration)
    if profile.visibility != visibility:
        profile.visibility = visibility
        profile.save(update_fields=["visibility", "updated_at"])
    return profile


def _fresh(profile):
    return Profile.objects.select_related("registration__event").get(pk=profile.pk)


@transaction.atomic
def request_meeting(requester, invitee, message=""):
    """The requester (a Profile) asks the invitee for a meeting; the invitee is emailed."""
    lock_registrations(requester.registration_id, invitee.registration_id)
    requester, invitee = _fresh(requester), _fresh(invitee)
    event = requester.registration.event
    if requester.pk == invitee.pk:
        raise MeetingRefused(_("You cannot ask yourself for a meeting."))
    if invitee.registration.event_id != event.pk or not event.matchmaking:
        raise MeetingRefused(_("Meetings cannot be requested at this event."))
    if not requester.is_visible:
        raise MeetingRefused(_("Show your profile to the other participants first: they should know who asks."))
    if (invitee.registration.status != Registration.Status.ACTIVE or not invitee.is_visible
            or not invitee.accepts_requests):
        raise MeetingRefused(_("This person does not take meeting requests."))
    if requester.registration.status != Registration.Status.ACTIVE:
        raise MeetingRefused(_("Your registration must be confirmed before you ask for meetings."))
    between = Q(requester=requester, invitee=invitee) | Q(requester=invitee, invitee=requester)
    if Meeting.objects.filter(between, status__in=Meeting.OPEN).exists():
        raise MeetingRefused(_("You already have a request or a meeting with this person."))
    earlier = Meeting.objects.filter(requester=requester, invitee=invitee).exclude(status__in=Meeting.OPEN)
    if earlier.filter(status=DECLINED).exists():
        raise MeetingRefused(_("This person declined your earlier request."))
    if earlier.count() >= ASKS_OF_ONE_PERSON:  # asked and withdrawn, again and again: an email each time
        raise MeetingRefused(_("You have already asked this person %(count)s times.") % {"count": ASKS_OF_ONE_PERSON})
    if Meeting.objects.filter(requester=requester, status=REQUESTED).count() >= OPEN_REQUESTS_PER_PERSON:
        raise MeetingRefused(_("You have %(count)s requests waiting for an answer: wait for some answers, or "
                               "withdraw one, before asking again.") % {"count": OPEN_REQUESTS_PER_PERSON})
    meeting = Meeting.objects.create(requester=requester, invitee=invitee, message=message)
    outbox.queue(invitee.registration, Kind.MEETING_REQUESTED, meeting=meeting.pk)
    return meeting


def _locked_meeting(meeting):
    """The meeting read afresh once both its people are locked (rule 1)."""
    lock_registrations(meeting.requester.registration_id, meeting.invitee.registration_id)
    return Meeting.objects.select_related(
        "requester__registration__event", "invitee__registration", "slot__room").get(pk=meeting.pk)


@transaction.atomic
def decline(meeting):
    """The invitee says no to a request; the requester is emailed."""
    meeting = _locked_meeting(meeting)
    if meeting.status != REQUESTED:
        raise MeetingRefused(_("This request has already been answered or withdrawn."))
    meeting.status = DECLINED
    meeting.save(update_fields=["status", "updated_at"])
    outbox.queue(meeting.requester.registration, Kind.MEETING_DECLINED, meeting=meeting.pk)
    return meeting


@transaction.atomic
def cancel(meeting, by=None):
    """Either person withdraws a request or calls off an accepted meeting (its table is free
    again); the other is emailed. `by`: the Profile cancelling, the requester if not given."""
    meeting = _locked_meeting(meeting)
    if meeting.status not in Meeting.OPEN:
        raise MeetingRefused(_("This meeting is already declined or cancelled."))
    by_id = by.pk if by is not None else meeting.requester_id
    other = meeting.invitee if by_id == meeting.requester_id else meeting.requester
    meeting.status = CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    outbox.queue(other.registration, Kind.MEETING_CANCELLED, meeting=meeting.pk)
    return meeting


class _SlotTakenMeanwhile(Exception):
    """The slot that looked free filled up before we locked it: start again, locking more."""


def accept(meeting, now=None):
    """The invitee accepts: the meeting gets the earliest slot (not started yet) at which both
    are free (no other accepted meeting, no seat or waitlist place in a session overlapping it)
    and has a free table, and both are emailed an introduction. None: MeetingRefused, and the
    request stays open.

    Most accepts lock one slot only, the one that looked free, so that accepts for different
    slots run side by side; if it filled up meanwhile, the transaction starts again and locks
    every slot that may serve, in primary-key order (a second slot is never locked after a
    first out of that order)."""
    try:
        return _accept(meeting, now or timezone.now(), lock_every_candidate=False)
    except _SlotTakenMeanwhile:
        return _accept(meeting, now or timezone.now(), lock_every_candidate=True)


@transaction.atomic
def _accept(meeting, now, lock_every_candidate):
    meeting = _locked_meeting(meeting)
    if meeting.status != REQUESTED:
        raise MeetingRefused(_("This request has already been answered or withdrawn."))
    people = [meeting.requester.registration, meeting.invitee.registration]
    if any(person.status != Registration.Status.ACTIVE for person in people):
        raise MeetingRefused(_("This request can no longer be accepted: one of you is no longer registered."))
    busy = busy_times(people, exclude_meeting=meeting)
    slots = [
        slot for slot in MeetingSlot.objects.filter(event_id=people[0].event_id, starts_at__gt=now).order_by(
            "starts_at", "pk")
        if not any(slot.overlaps(starts_at, ends_at) for starts_at, ends_at in busy)
    ]
    used = tables_used(slot.pk for slot in slots)
    looks_free = [slot for slot in slots if used.get(slot.pk, 0) < slot.tables]
    if not looks_free:
        raise MeetingRefused(_("No meeting slot has a free table at a time when you are both free. The request "
                               "stays open: ask the organisers, or try again later."))
    if lock_every_candidate:
        locked = {slot.pk: slot for slot in lock_slots(slot.pk for slot in looks_free)}
        candidates = [locked[slot.pk] for slot in looks_free if slot.pk in locked]  # in time order again
    else:
        candidates = lock_slots([looks_free[0].pk])
    # Read again under the lock: an organiser may have moved or deleted a slot since.
    candidates = [slot for slot in candidates if slot.starts_at > now
                  and not any(slot.overlaps(starts_at, ends_at) for starts_at, ends_at in busy)]
    taken = taken_tables(slot.pk for slot in candidates)
    for slot in candidates:
        free = [table for table in range(1, slot.tables + 1) if table not in taken.get(slot.pk, set())]
        if free:
            break
    else:
        if not lock_every_candidate:
            raise _SlotTakenMeanwhile
        raise MeetingRefused(_("No meeting slot has a free table at a time when you are both free. The request "
                               "stays open: ask the organisers, or try again later."))
    meeting.status, meeting.slot, meeting.table = ACCEPTED, slot, free[0]
    meeting.save(update_fields=["status", "slot", "table", "updated_at"])
    for person in people:
        outbox.queue(person, Kind.MEETING_ACCEPTED, meeting=meeting.pk)
    return meeting


def busy_times(registrations, exclude_meeting=None):
    """[(starts_at, ends_at)] when any of the (locked) registrations has a seat, held or
    confirmed, a waitlist place (a seat it may become at any moment, by a promotion that does
    not take their lock), or an accepted meeting."""
    ids = [registration.pk for registration in registrations]
    seats = Booking.objects.filter(registration__in=ids).exclude(status=Booking.Status.CANCELLED).values_list(
        "session__starts_at", "session__ends_at")
    meetings = Meeting.objects.filter(
        Q(requester__registration__in=ids) | Q(invitee__registration__in=ids), status=ACCEPTED
    )
    if exclude_meeting is not None:
        meetings = meetings.exclude(pk=exclude_meeting.pk)
    return [*seats, *meetings.values_list("slot__starts_at", "slot__ends_at")]


def lock_slots(slot_ids):
    """Rule 3: the slots, locked in primary-key order."""
    return list(MeetingSlot.objects.select_for_update(no_key=True, of=("self",)).filter(
        pk__in=sorted(set(slot_ids))).select_related("room").order_by("pk"))


def tables_used(slot_ids):
    """{slot id: accepted meetings}, without locks: a first guess of where tables are free."""
    return dict(Meeting.objects.filter(slot__in=list(slot_ids), status=ACCEPTED).values_list("slot").annotate(
        count=Count("pk")).order_by())


def taken_tables(slot_ids):
    """{slot id: {table numbers taken}}, to be read under the slots' locks."""
    taken = {}
    for slot_id, table in Meeting.objects.filter(slot__in=list(slot_ids), status=ACCEPTED).values_list("slot", "table"):
        taken.setdefault(slot_id, set()).add(table)
    return taken
