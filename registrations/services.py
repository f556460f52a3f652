"""Every write that touches several rows: sign up, change sessions, cancel, promote the waitlist.

Views, admin actions, tasks and tests call these; each owns its transaction.

Locks, always in this order so two transactions never wait on each other in a cycle: the
participant's Registration row (changes of one person happen one at a time), then the sessions
concerned, in primary-key order (SELECT ... FOR UPDATE); only then are seats counted and
bookings written. On SQLite the IMMEDIATE transaction mode (settings.py) serialises writers.
A free seat never goes to a newcomer while someone waits for it: book() fills it from the
waitlist first, so seats freed behind our back (an organiser raising a capacity) are handed
out in order too.

Emails: each change writes its outbox rows in the same transaction, and hands their ids to
Celery only after commit (registrations/outbox.py).
"""
import datetime
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from agenda.models import Session
from registrations import outbox
from registrations.models import Booking, OutgoingEmail, Registration, new_token

CONFIRMED, WAITLISTED, CANCELLED = Booking.Status.CONFIRMED, Booking.Status.WAITLISTED, Booking.Status.CANCELLED


def lock_sessions(session_ids):
    """The sessions, locked for the rest of the transaction, in primary-key order."""
    return list(
        Session.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(session_ids)))
        .select_related("room")
        .order_by("pk")
    )


def seat_counts(session):
    """(confirmed, waitlisted) bookings of the session, in one query."""
    counts = session.bookings.aggregate(
        confirmed=Count("pk", filter=Q(status=CONFIRMED)), waiting=Count("pk", filter=Q(status=WAITLISTED))
    )
    return counts["confirmed"], counts["waiting"]


class Place(NamedTuple):
    """What a booking got: a seat (position None) or a place on the waitlist (1 = next in line)."""

    status: str
    position: int | None = None


def place_for_newcomer(limit, confirmed, waiting):
    """The place one more booking gets in a session with `limit` seats (None: no limit),
    `confirmed` of them taken and `waiting` people in line. Free seats go to those waiting
    first, so a newcomer has a seat only if there are more free seats than people waiting."""
    free = None if limit is None else max(limit - confirmed, 0)
    if free is None or waiting < free:
        return Place(CONFIRMED)
    return Place(WAITLISTED, waiting - free + 1)


def book(registration, session, replace_cancelled=True):
    """A seat while the (locked) session has one, else the end of its waitlist. The booking
    carries its place (booking.place)."""
    confirmed, waiting = seat_counts(session)
    limit = session.seat_limit
    place = place_for_newcomer(limit, confirmed, waiting)
    if waiting and (limit is None or confirmed < limit):
        _promote(session)  # seats were freed behind our back: those waiting come first
    if replace_cancelled:
        # A cancelled booking is replaced rather than revived: a new id puts it at the end of
        # the waitlist, where a newcomer belongs.
        Booking.objects.filter(registration=registration, session=session, status=CANCELLED).delete()
    booking = Booking.objects.create(registration=registration, session=session, status=place.status)
    booking.place = place
    return booking


def projected_places(sessions):
    """{session id: Place} that book() would give one more participant right now; nothing is
    locked or written."""
    counted = Session.objects.filter(pk__in=[session.pk for session in sessions]).select_related("room")
    return {
        session.pk: place_for_newcomer(session.seat_limit, session.confirmed_count, session.waitlisted_count)
        for session in counted.with_seat_counts()
    }


def current_places(registration):
    """{session id: Place} of the registration's seats and waitlist places, as they are now."""
    return {
        booking.session_id: Place(booking.status, booking.waitlist_position)
        for booking in registration.bookings.live()
    }


def registration_of(event, email):
    """The event's registration of this address (any letter case), locked; None if there is none."""
    return Registration.objects.select_for_update().filter(event=event).with_email(email).first()


# How long after signing up a browser is recognised as the one that did (views.py's cookies
# last as long): after that, a shared computer's next user is a stranger like any other.
SAME_BROWSER_FOR = datetime.timedelta(hours=1)


def register(event, *, details, platforms, sessions, partnerships=(), listed=False, browser=""):
    """Signs someone up. Returns (registration, created, places): places is {session id: Place},
    what the sign-up got. `browser` identifies the browser it came from (a hash of a cookie).

    An email already registered for the event changes nothing: its owner is sent their private
    link instead (created is False). The submitter's page must then look the same as a
    newcomer's and tell a stranger nothing, so places is what a newcomer would get right now,
    by the same rule; unless the sign-up came from this same browser (a double click, the back
    button), which is shown the registration's own places.
    """
    email = details["email"]

    def already_registered(existing):
        outbox.queue(existing, OutgoingEmail.Kind.PRIVATE_LINK)
        signed_up_lately = existing.consent_given_at > timezone.now() - SAME_BROWSER_FOR
        if browser and existing.signup_browser == browser and signed_up_lately:
            return existing, False, current_places(existing)
        return existing, False, projected_places(sessions)

    try:
        with transaction.atomic():
            existing = registration_of(event, email)
            if existing and not existing.is_cancelled:
                return already_registered(existing)
            registration = existing or Registration(event=event)
            registration.signup_browser = browser
            bookings = _sign_up(registration, details, platforms, sessions, partnerships, listed)
            return registration, True, {booking.session_id: booking.place for booking in bookings}
    except IntegrityError:
        # Two sign-ups with one email raced and the other one won (a double click lands here):
        # treat as already registered.
        with transaction.atomic():
            existing = registration_of(event, email)
            if existing is None:
                raise
            if existing.is_cancelled:  # the winner has cancelled since: nothing to send
                return existing, False, projected_places(sessions)
            return already_registered(existing)


def _sign_up(registration, details, platforms, sessions, partnerships, listed):
    """Saves the registration and books its sessions; returns the bookings."""
    now = timezone.now()
    is_comeback = registration.pk is not None
    for field, value in details.items():
        setattr(registration, field, value)
    registration.consent_given_at = now
    registration.listed_consent_at = now if listed else None
    registration.status = Registration.Status.ACTIVE
    if is_comeback:
        # Someone who cancelled signs up again: a fresh link, the old one stays dead.
        registration.token = new_token()
    registration.save()
    if is_comeback:
        registration.platforms.set(platforms)
        registration.partnerships.set(partnerships)
    else:
        # add(), not set(): a new registration has nothing to compare with (one query less).
        registration.platforms.add(*platforms)
        if partnerships:
            registration.partnerships.add(*partnerships)
    bookings = [
        book(registration, session, replace_cancelled=is_comeback)
        for session in lock_sessions(session.pk for session in sessions)
    ]
    outbox.queue(registration, OutgoingEmail.Kind.CONFIRMATION)
    return bookings


@transaction.atomic
def send_private_link(event, email):
    """Emails the private link to the address if it is registered; says nothing either way."""
    registration = Registration.objects.filter(event=event, status=Registration.Status.ACTIVE).with_email(email).first()
    if registration:
        outbox.queue(registration, OutgoingEmail.Kind.PRIVATE_LINK)
    return registration


@transaction.atomic
def notify_session_moved(session):
    """Queues an email to everyone holding a seat or a waitlist place in a session whose time
    or room has just changed. Returns how many."""
    registrations = Registration.objects.filter(
        status=Registration.Status.ACTIVE, bookings__session=session, bookings__status__in=[CONFIRMED, WAITLISTED]
    ).distinct()
    count = 0
    for registration in registrations:
        outbox.queue(registration, OutgoingEmail.Kind.SESSION_MOVED, session=session.pk)
        count += 1
    return count


@transaction.atomic
def resend_confirmations(registrations):
    """Queues a fresh confirmation for each active registration; returns how many."""
    active = list(registrations.filter(status=Registration.Status.ACTIVE))
    for registration in active:
        outbox.queue(registration, OutgoingEmail.Kind.CONFIRMATION)
    return len(active)


def lock_registration(registration):
    """The registration, locked; None if it was cancelled meanwhile."""
    locked = Registration.objects.select_for_update().get(pk=registration.pk)
    return None if locked.is_cancelled else locked


@transaction.atomic
def change_sessions(registration, sessions):
    """Keeps the bookings of sessions still chosen, books the new ones, cancels the rest. Only
    registrable sessions change here: a booking of a session an organiser has since closed to
    booking stays as it is."""
    registration = lock_registration(registration)
    if registration is None:
        return None
    wanted = {session.pk for session in sessions}
    current = {
        booking.session_id: booking
        for booking in registration.bookings.exclude(status=CANCELLED).filter(session__registrable=True)
    }
    if wanted == set(current):
        return registration
    added, dropped = [], []
    for session in lock_sessions(wanted | set(current)):
        if session.pk in wanted and session.pk not in current:
            book(registration, session)
            added.append(session.pk)
        elif session.pk in current and session.pk not in wanted:
            _cancel_booking(current[session.pk], session)
            dropped.append(session.pk)
    outbox.queue(registration, OutgoingEmail.Kind.CHANGE, added=added, dropped=dropped)
    return registration


@transaction.atomic
def cancel_booking(booking):
    """Gives up one session; the first person on its waitlist gets the seat."""
    if lock_registration(booking.registration) is None:
        return booking
    [session] = lock_sessions([booking.session_id])
    booking = Booking.objects.get(pk=booking.pk)
    if booking.status == CANCELLED:
        return booking
    _cancel_booking(booking, session)
    outbox.queue(booking.registration, OutgoingEmail.Kind.CANCELLATION, dropped=[session.pk])
    return booking


@transaction.atomic
def cancel(registration):
    """Cancels the whole registration; its private link stops working."""
    locked = lock_registration(registration)
    if locked is None:
        return Registration.objects.get(pk=registration.pk)
    registration = locked
    bookings = {booking.session_id: booking for booking in registration.bookings.exclude(status=CANCELLED)}
    for session in lock_sessions(bookings):
        _cancel_booking(bookings[session.pk], session)
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    outbox.queue(registration, OutgoingEmail.Kind.CANCELLATION, everything=True, dropped=sorted(bookings))
    return registration


def _cancel_booking(booking, locked_session):
    was_confirmed = booking.status == CONFIRMED
    booking.status = CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    if was_confirmed:
        _promote(locked_session)


@transaction.atomic
def promote_waitlist(session):
    """Fills the session's free seats from its waitlist, first come first served, e.g. after an
    organiser raised its capacity. Returns the bookings confirmed."""
    [session] = lock_sessions([session.pk])
    return _promote(session)


def _promote(locked_session):
    limit = locked_session.seat_limit
    free = None if limit is None else limit - seat_counts(locked_session)[0]
    waiting = locked_session.bookings.filter(status=WAITLISTED).select_related("registration").order_by("id")
    if free is not None:
        waiting = waiting[: max(free, 0)]
    promoted = list(waiting)
    for booking in promoted:
        booking.status = CONFIRMED
        booking.save(update_fields=["status", "updated_at"])
        outbox.queue(booking.registration, OutgoingEmail.Kind.PROMOTION, session=locked_session.pk)
    return promoted


@transaction.atomic
def check_in(registration):
    """Marks the participant as arrived, once. Returns (registration, first_time)."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.checked_in_at:
        return registration, False
    registration.checked_in_at = timezone.now()
    registration.save(update_fields=["checked_in_at", "updated_at"])
    return registration, True
