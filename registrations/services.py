"""Every write that touches several rows: sign up, change sessions, cancel, promote the waitlist,
and the seats that follow an organiser's edit of the programme.

Views, admin pages and actions, tasks and tests call these; each owns its transaction.

The lock rule (DESIGN.md), the same on every path so two transactions never wait on each other
in a cycle:
  1. the participant's Registration row, FOR NO KEY UPDATE: one person's changes happen one at
     a time, while others can still insert rows that point at it (an outbox row for someone
     promoted takes FOR KEY SHARE on their registration; FOR UPDATE would block it, and a
     person changing their sessions while being promoted would deadlock);
  2. then the sessions concerned, in primary-key order (SELECT ... FOR UPDATE);
  3. then the limited options of the organisers' questions (a dinner for 80), in primary-key
     order (save_answers);
  4. only then are seats and places counted and rows written, and bookings read to be changed
     are read again under these locks (a promotion may have changed them meanwhile).
An organiser's edit takes the sessions of the events it touches, in primary-key order, before
writing anything (programme_edit). On SQLite the IMMEDIATE transaction mode (settings.py)
serialises writers.
A free seat never goes to a newcomer while someone waits for it: book() fills it from the
waitlist first, so seats freed behind our back are handed out in order too.

Emails: each change writes its outbox rows in the same transaction, and hands their ids to
Celery only after commit (registrations/outbox.py).
"""
import contextlib
import dataclasses
import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agenda.cache import agenda_changed
from agenda.models import Event, Session
from registrations import outbox
from registrations import extensions, mailings, questions
from registrations.models import (
    Answer, Booking, Invitation, Mailing, OutgoingEmail, QuestionOption, Registration, new_token,
)

CONFIRMED, WAITLISTED, CANCELLED = Booking.Status.CONFIRMED, Booking.Status.WAITLISTED, Booking.Status.CANCELLED
HELD = Booking.Status.HELD
ACTIVE, UNVERIFIED, PENDING = Registration.Status.ACTIVE, Registration.Status.UNVERIFIED, Registration.Status.PENDING


def is_bookable(locked_session):
    return locked_session.registrable and locked_session.cancelled_at is None


def lock_sessions(session_ids):
    """The sessions, locked for the rest of the transaction, in primary-key order."""
    return list(
        Session.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(session_ids)))
        .select_related("room")
        .order_by("pk")
    )


def seat_counts(session):
    """(seats taken: confirmed or held, people on the waitlist) of the session, in one query."""
    counts = session.bookings.aggregate(
        taken=Count("pk", filter=Q(status__in=Booking.TAKING_A_SEAT)), waiting=Count("pk", filter=Q(status=WAITLISTED))
    )
    return counts["taken"], counts["waiting"]


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
    if place.status == CONFIRMED and not registration.is_admitted:
        place = Place(HELD)  # kept until the address is confirmed or an organiser approves
    booking = Booking.objects.create(registration=registration, session=session, status=place.status)
    booking.place = place
    return booking


def projected_places(event, sessions):
    """{session id: Place} that book() would give one more participant right now; nothing is
    locked or written."""
    counted = Session.objects.filter(pk__in=[session.pk for session in sessions]).select_related("room")
    places = {
        session.pk: place_for_newcomer(session.seat_limit, session.seats_taken, session.waitlisted_count)
        for session in counted.with_seat_counts()
    }
    if admission_status(event) != ACTIVE:
        places = {pk: Place(HELD) if place.status == CONFIRMED else place for pk, place in places.items()}
    return places


def admission_status(event, invitation=None):
    """The status a new registration starts in: invitees are in at once; otherwise the address
    is confirmed first (verify_email), then an organiser approves (requires_approval)."""
    if invitation is not None:
        return ACTIVE
    if event.verify_email:
        return UNVERIFIED
    if event.requires_approval:
        return PENDING
    return ACTIVE


# The first email of a registration, by the status it starts in.
FIRST_EMAIL = {ACTIVE: OutgoingEmail.Kind.CONFIRMATION, UNVERIFIED: OutgoingEmail.Kind.VERIFY,
               PENDING: OutgoingEmail.Kind.PENDING}


def current_places(registration):
    """{session id: Place} of the registration's seats and waitlist places, as they are now."""
    return {
        booking.session_id: Place(booking.status, booking.waitlist_position)
        for booking in registration.bookings.live()
    }


def locked_registrations():
    """Registrations, to be locked by the query made of this (rule 1 of the module's docstring)."""
    return Registration.objects.select_for_update(no_key=True, of=("self",))


def registration_of(event, email):
    """The event's registration of this address (any letter case), locked; None if there is none."""
    return locked_registrations().filter(event=event).with_email(email).first()


def may_email_for_a_stranger(registration):
    """Whether one more private-link email may go to this registration on a stranger's request
    (a link request, a sign-up with their address): at most STRANGER_EMAILS_PER_HOUR an hour,
    so nobody can fill someone's inbox from our form. Counted in the outbox itself: the count
    survives a cache outage and is exact under the registration's lock."""
    return _under_hourly_cap(registration, [OutgoingEmail.Kind.PRIVATE_LINK, OutgoingEmail.Kind.VERIFY])


def _under_hourly_cap(registration, kinds):
    """Whether the registration has had fewer than STRANGER_EMAILS_PER_HOUR emails of these
    kinds queued within the hour."""
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    sent = registration.emails.filter(kind__in=kinds, created_at__gte=hour_ago).count()
    return sent < settings.STRANGER_EMAILS_PER_HOUR


# How long after signing up a browser is recognised as the one that did (views.py's cookies
# last as long): after that, a shared computer's next user is a stranger like any other.
SAME_BROWSER_FOR = datetime.timedelta(hours=1)


def register(event, *, details, platforms, sessions, partnerships=(), listed=False, browser="", answers=None,
             invitation=None):
    """Signs someone up. Returns (registration, created, places): places is {session id: Place},
    what the sign-up got. `browser` identifies the browser it came from (a hash of a cookie).

    An email already registered for the event changes nothing: its owner is sent their private
    link instead (created is False). The submitter's page must then look the same as a
    newcomer's and tell a stranger nothing, so places is what a newcomer would get right now,
    by the same rule; unless the sign-up came from this same browser (a double click, the back
    button), which is shown the registration's own places.

    `answers` is {question: cleaned value} of the organisers' questions; an option whose places
    are all taken raises OptionFull and nothing is saved.

    The registration starts as admission_status() says: held seats and a verification email
    where addresses are confirmed first, held seats and an "awaiting approval" email where
    organisers approve; an `invitation` (whose address must be the one given) is in at once.
    """
    email = details["email"]
    if invitation is not None and email.lower() != invitation.email.lower():
        raise ValueError("An invitation registers the address it was sent to.")  # the form fixes it

    def already_registered(existing):
        if may_email_for_a_stranger(existing):
            # Not confirmed yet: the link that confirms it again; otherwise the private link.
            kind = OutgoingEmail.Kind.VERIFY if existing.status == UNVERIFIED else OutgoingEmail.Kind.PRIVATE_LINK
            outbox.queue(existing, kind)
        signed_up_lately = existing.consent_given_at > timezone.now() - SAME_BROWSER_FOR
        if browser and existing.signup_browser == browser and signed_up_lately:
            return existing, False, current_places(existing)
        return existing, False, projected_places(event, sessions)

    try:
        with transaction.atomic():
            existing = registration_of(event, email)
            if existing and not existing.has_ended:
                refuse_full_options(answers or {})  # as a newcomer would be: tells nobody it exists
                if invitation is not None:  # the invitee was registered already: nothing to remind
                    Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.INVITED).update(
                        status=Invitation.Status.REGISTERED, registration=existing)
                return already_registered(existing)
            registration = existing or Registration(event=event)
            registration.signup_browser = browser
            registration.status = admission_status(event, invitation)
            bookings = _sign_up(registration, details, platforms, sessions, partnerships, listed, answers or {})
            if invitation is not None:
                Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.INVITED).update(
                    status=Invitation.Status.REGISTERED, registration=registration)
            return registration, True, {booking.session_id: booking.place for booking in bookings}
    except IntegrityError:
        # Two sign-ups with one email raced and the other one won (a double click lands here):
        # treat as already registered.
        with transaction.atomic():
            existing = registration_of(event, email)
            if existing is None:
                raise
            if existing.has_ended:  # the winner has cancelled since: nothing to send
                return existing, False, projected_places(event, sessions)
            return already_registered(existing)


def _sign_up(registration, details, platforms, sessions, partnerships, listed, answers):
    """Saves the registration and books its sessions; returns the bookings."""
    now = timezone.now()
    is_comeback = registration.pk is not None
    for field, value in details.items():
        setattr(registration, field, value)
    registration.consent_given_at = now
    registration.listed_consent_at = now if listed else None
    if registration.status == UNVERIFIED:
        registration.verification_key = new_token()
        registration.hold_until = now + datetime.timedelta(minutes=registration.event.verification_hold_minutes)
    if is_comeback:
        # Someone who cancelled signs up again: a fresh link, the old one stays dead.
        registration.token = new_token()
    registration.save()
    if is_comeback:
        registration.platforms.set(platforms)
        registration.partnerships.set(partnerships)
        registration.answers.all().delete()  # the ended registration's answers hold nothing any more
    else:
        # add(), not set(): a new registration has nothing to compare with (one query less).
        registration.platforms.add(*platforms)
        if partnerships:
            registration.partnerships.add(*partnerships)
    bookings = [
        book(registration, session, replace_cancelled=is_comeback)
        for session in lock_sessions(session.pk for session in sessions)
        if is_bookable(session)  # checked again under the lock: it may have been cancelled since the form
    ]
    save_answers(registration, answers)
    outbox.queue(registration, FIRST_EMAIL[registration.status])
    return bookings


class OptionFull(Exception):
    """An answer whose places are all taken (the last dinner place went to someone else)."""

    def __init__(self, question, option):
        self.question, self.option = question, option
        super().__init__(
            _("“%(answer)s” is full: please choose another answer.") % {"answer": option.label}
        )


def refuse_full_options(answers, registration=None):
    """Locks the limited options among the answers that `registration` does not hold yet, in
    primary-key order (rule 3), and raises OptionFull if one has no place left. Without a
    registration: as a newcomer choosing them would find them."""
    wanted = {question: questions.stored(question, value)[1] for question, value in answers.items()}
    question_of = {pk: question for question, option_ids in wanted.items() for pk in option_ids}
    held = set()
    if registration is not None:
        held = set(Answer.options.through.objects.filter(answer__registration=registration).values_list(
            "questionoption_id", flat=True))
    # Every option newly chosen is locked, not only those with a limit now: an organiser may be
    # giving one a limit this moment (the question's admin page locks them too). NO KEY: answers
    # of others still insert their rows pointing at the option (KEY SHARE).
    chosen = list(QuestionOption.objects.select_for_update(no_key=True).filter(
        pk__in=sorted(set(question_of) - held)).order_by("pk"))
    limited = [option for option in chosen if option.limit is not None]
    if not limited:
        return
    taken = Answer.options.through.objects.filter(
        questionoption__in=limited, answer__registration__status__in=Registration.LIVE_STATUSES)
    if registration is not None:
        taken = taken.exclude(answer__registration=registration)
    counts = dict(taken.values_list("questionoption").annotate(count=Count("pk")).order_by())
    for option in limited:
        if counts.get(option.pk, 0) >= option.limit:
            raise OptionFull(question_of[option.pk], option)


def save_answers(registration, answers):
    """Stores {question: cleaned value} for the (locked) registration, replacing its earlier
    answers to these questions; an option used up raises OptionFull (refuse_full_options).
    Returns whether any answer changed."""
    if not answers:
        return False
    refuse_full_options(answers, registration)
    current = {answer.question_id: answer for answer in registration.answers.prefetch_related("options")}
    wanted = {question: questions.stored(question, value) for question, value in answers.items()}
    changed = False
    for question, (text, option_ids) in wanted.items():
        answer = current.get(question.pk)
        if not text and not option_ids:
            if answer:
                answer.delete()
                changed = True
            continue
        if answer is None:
            answer = Answer.objects.create(registration=registration, question=question, text=text)
            changed = True
        elif answer.text != text:
            answer.text = text
            answer.save(update_fields=["text"])
            changed = True
        if question.has_options and sorted(option.pk for option in answer.options.all()) != option_ids:
            answer.options.set(option_ids)
            changed = True
    return changed


@transaction.atomic
def send_private_link(event, email):
    """Emails the private link to the address if it is registered; says nothing either way."""
    registration = registration_of(event, email)
    if registration and registration.status in (ACTIVE, PENDING) and may_email_for_a_stranger(registration):
        outbox.queue(registration, OutgoingEmail.Kind.PRIVATE_LINK)
    return registration


def notify_session_moved(session, was):
    """Queues an email to everyone holding a seat or a waitlist place in a session whose time
    or room has just changed; `was` is the session as it was before. Returns how many."""
    registrations = Registration.objects.filter(
        status__in=[ACTIVE, PENDING], bookings__session=session, bookings__status__in=[CONFIRMED, HELD, WAITLISTED]
    ).distinct()
    before = {
        "starts_at": was.starts_at.isoformat(), "ends_at": was.ends_at.isoformat(),
        "room": was.room.name if was.room else "",
    }
    count = 0
    for registration in registrations:
        outbox.queue(registration, OutgoingEmail.Kind.SESSION_MOVED, session=session.pk, was=before)
        count += 1
    return count


class SeatsTaken(Exception):
    """An edit would leave a session with fewer seats than people holding one."""

    def __init__(self, session, taken):
        self.session, self.taken = session, taken
        super().__init__(ngettext(
            "“%(session)s”: %(count)d person holds a seat, so it needs at least %(count)d seat. Nothing was saved.",
            "“%(session)s”: %(count)d people hold seats, so it needs at least %(count)d seats. Nothing was saved.",
            taken,
        ) % {"session": session, "count": taken})


def people(count):
    """"1 person", "3 people", in the active language."""
    return ngettext("%(count)d person", "%(count)d people", count) % {"count": count}


def seats_taken(session):
    """Seats held in the session: what its capacity may not go below."""
    return seat_counts(session)[0]


@dataclasses.dataclass
class ProgrammeEdit:
    """What an organiser's edit did to the seats: {session: bookings confirmed from its
    waitlist} and {session: how many people were told it moved}."""

    promoted: dict = dataclasses.field(default_factory=dict)
    moved: dict = dataclasses.field(default_factory=dict)


def _sessions_of(event_ids):
    return Session.objects.filter(event_id__in=event_ids).values_list("pk", flat=True)


@contextlib.contextmanager
def programme_edit(event_ids):
    """Wraps an organiser's edit of the programme of these events (sessions, rooms, capacities,
    times, deletions), in one transaction. Before anything is written, it locks every session of
    the events in primary-key order, as sign-ups do (an admin page saving rows first and locking
    in its own order would deadlock with them). After the edit: a session left with fewer seats
    than people holding one refuses the whole edit (SeatsTaken, nothing saved); free seats go to
    the waitlist in order; people booked on a session whose time or room changed are told what
    it was. Yields a ProgrammeEdit that says what happened."""
    edit = ProgrammeEdit()
    with transaction.atomic():
        before = {session.pk: session for session in lock_sessions(_sessions_of(event_ids))}
        yield edit
        for session in lock_sessions(_sessions_of(event_ids)):  # new ones too
            taken, limit = seats_taken(session), session.seat_limit
            if limit is not None and taken > limit:
                raise SeatsTaken(session, taken)
            if promoted := _promote(session):
                edit.promoted[session] = promoted
            was = before.get(session.pk)
            if was and (was.starts_at, was.ends_at, was.room_id) != (session.starts_at, session.ends_at, session.room_id):
                edit.moved[session] = notify_session_moved(session, was)


@transaction.atomic
def email_each_active(registrations, kind):
    """Queues an email of `kind` (a fresh confirmation, the private link) to each active
    registration among these; returns how many."""
    active = list(registrations.filter(status=Registration.Status.ACTIVE))
    for registration in active:
        outbox.queue(registration, kind)
    return len(active)


@transaction.atomic
def resend_copies(emails):
    """Queues a new copy of each email whose registration is still active (same kind and
    details, to the registration's current address, which may have been corrected since);
    returns how many. The rows selected stay as they are: they record what happened."""
    originals = list(emails.filter(registration__status=Registration.Status.ACTIVE).select_related("registration"))
    elsewhere = set(OutgoingEmail.objects.filter(outbox.ADDRESSED_ELSEWHERE, pk__in=[e.pk for e in originals])
                    .values_list("pk", flat=True))
    for original in originals:
        to = original.to_address if original.pk in elsewhere else None  # a new address to confirm stays so
        outbox.queue(original.registration, original.kind, to=to, **original.context)
    return len(originals)


def lock_registration(registration):
    """The registration, locked; None if it was cancelled meanwhile."""
    locked = locked_registrations().get(pk=registration.pk)
    return None if locked.has_ended else locked


def live_bookings_of(registration, session_ids=None):
    """{session id: booking} of the registration's seats and waitlist places, read afresh: call
    it once the sessions are locked, as a promotion may have turned a waitlist place into a seat
    since the caller last looked."""
    bookings = registration.bookings.exclude(status=CANCELLED)
    if session_ids is not None:
        bookings = bookings.filter(session_id__in=session_ids)
    return {booking.session_id: booking for booking in bookings}


class ClashesWithCommitment(Exception):
    """Sessions chosen at a time the person promised elsewhere: [(session, what), ...]."""

    def __init__(self, clashes):
        self.clashes = clashes
        super().__init__("; ".join(f"{session.title}: {what}" for session, what in clashes))


@transaction.atomic
def change_sessions(registration, sessions):
    """Keeps the bookings of sessions still chosen, books the new ones, cancels the rest. Only
    registrable sessions change here: a booking of a session an organiser has since closed to
    booking stays as it is."""
    registration = lock_registration(registration)
    if registration is None:
        return None
    wanted = {session.pk for session in sessions}
    current = set(registration.bookings.exclude(status=CANCELLED).filter(session__registrable=True).values_list(
        "session_id", flat=True))
    if wanted == current:
        return registration
    added, dropped = [], []
    locked = lock_sessions(wanted | current)
    current = live_bookings_of(registration, current)  # the set cannot change under our lock; statuses can
    # What the person promised elsewhere (meetings) changes only under their lock too.
    busy = extensions.busy_times_of(registration)
    clashes = [(session, what) for session in locked if session.pk in wanted and session.pk not in current
               for starts, ends, what in busy if session.starts_at < ends and starts < session.ends_at]
    if clashes:
        raise ClashesWithCommitment(clashes)
    for session in locked:
        if session.pk in wanted and session.pk not in current and is_bookable(session):
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
    # Read again: a cancelled place is deleted when its owner signs up anew (book()).
    current = Booking.objects.filter(pk=booking.pk).first()
    if current is None or current.status == CANCELLED:
        return current or booking
    booking = current
    _cancel_booking(booking, session)
    outbox.queue(booking.registration, OutgoingEmail.Kind.CANCELLATION, dropped=[session.pk])
    return booking


@transaction.atomic
def cancel(registration):
    """Cancels the whole registration; its private link stops working."""
    locked = lock_registration(registration)
    if locked is None:
        return Registration.objects.get(pk=registration.pk)
    dropped = _close(locked, Registration.Status.CANCELLED)
    outbox.queue(locked, OutgoingEmail.Kind.CANCELLATION, everything=True, dropped=dropped)
    return locked


def _close(registration, status):
    """Ends the (locked) registration in `status`: every seat and waitlist place given up, the
    seats to those waiting. Returns the ids of the sessions it held."""
    locked_sessions = lock_sessions(registration.bookings.exclude(status=CANCELLED).values_list("session_id", flat=True))
    bookings = live_bookings_of(registration)
    for session in locked_sessions:
        if session.pk in bookings:  # an organiser may have cancelled the session meanwhile
            _cancel_booking(bookings[session.pk], session)
    _set_status(registration, status)
    extensions.closed(registration)  # e.g. networking calls off their meetings
    # An invitee who cancels may use their invitation again (an invitation-only event has no other way in).
    Invitation.objects.filter(registration=registration, status=Invitation.Status.REGISTERED).update(
        status=Invitation.Status.INVITED, registration=None)
    return sorted(bookings)


def _set_status(registration, status):
    """The (locked) registration's new status; the verification key and hold are spent."""
    registration.status = status
    registration.verification_key, registration.hold_until = "", None
    registration.save(update_fields=["status", "verification_key", "hold_until", "updated_at"])


def _admit(registration, kind, **context):
    """The (locked) registration is in: its held seats become confirmed ones (waitlist places
    stay as they are), and `kind` of email tells them."""
    # Every live booking's session, not just those held now: a promotion in flight may be
    # turning a waitlist place of theirs into a held seat, and must be seen once it commits.
    lock_sessions(registration.bookings.exclude(status=CANCELLED).values_list("session_id", flat=True))
    registration.bookings.filter(status=HELD).update(status=CONFIRMED, updated_at=timezone.now())
    _set_status(registration, ACTIVE)
    outbox.queue(registration, kind, **context)


@transaction.atomic
def verify(registration):
    """The participant opened the link of the verification email. Where organisers approve,
    the registration now awaits them (seats still held); otherwise it is in. Opened after
    `hold_until`, it expires the registration at once (its seats to those waiting), as
    expire_unverified() would: the address may then register again. Either the click or the
    expiry wins, never both: each decides under the registration's lock. Returns the
    registration, whose status says what happened (one already verified or expired unchanged)."""
    registration = locked_registrations().select_related("event").get(pk=registration.pk)
    if registration.status != UNVERIFIED:
        return registration
    if registration.hold_until <= timezone.now():
        _close(registration, Registration.Status.EXPIRED)
        return registration
    if registration.event.requires_approval:
        _set_status(registration, PENDING)
        outbox.queue(registration, OutgoingEmail.Kind.PENDING)
    else:
        _admit(registration, OutgoingEmail.Kind.CONFIRMATION)
    return registration


def expire_unverified(now=None):
    """Ends each registration whose address was not confirmed before its hold ran out: its held
    seats go to the first people waiting, who are emailed. One transaction per registration;
    run by beat every minute. Returns how many expired."""
    now = now or timezone.now()
    due = list(Registration.objects.filter(status=UNVERIFIED, hold_until__lte=now).order_by("hold_until", "pk")
               .values_list("pk", flat=True)[:1000])
    expired = 0
    for pk in due:
        with transaction.atomic():
            registration = locked_registrations().get(pk=pk)
            if registration.status == UNVERIFIED and registration.hold_until <= now:  # not verified meanwhile
                _close(registration, Registration.Status.EXPIRED)
                expired += 1
    return expired


@transaction.atomic
def approve(registration, message=""):
    """An organiser admits a registration awaiting approval; returns whether it was one."""
    registration = locked_registrations().get(pk=registration.pk)
    if registration.status != PENDING:
        return False
    _admit(registration, OutgoingEmail.Kind.APPROVED, message=message)
    return True


@transaction.atomic
def reject(registration, reason=""):
    """An organiser turns down a registration awaiting approval: its places go to those
    waiting, and an email tells them, with the reason if one is given. Returns whether it was one."""
    registration = locked_registrations().get(pk=registration.pk)
    if registration.status != PENDING:
        return False
    _close(registration, Registration.Status.REJECTED)
    outbox.queue(registration, OutgoingEmail.Kind.REJECTED, reason=reason)
    return True


def _cancel_booking(booking, locked_session):
    frees_a_seat = booking.status in Booking.TAKING_A_SEAT
    booking.status = CANCELLED
    booking.save(update_fields=["status", "updated_at"])
    if frees_a_seat:
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
        # Someone not admitted yet gets the seat held; they hear of it when they are admitted.
        booking.status = CONFIRMED if booking.registration.is_admitted else HELD
        booking.save(update_fields=["status", "updated_at"])
        if booking.status == CONFIRMED:
            outbox.queue(booking.registration, OutgoingEmail.Kind.PROMOTION, session=locked_session.pk)
    return promoted


@transaction.atomic
def set_language(registration, language):
    """The language every later email, calendar and document for this person is written in;
    the change is confirmed by email, in the new language."""
    registration = lock_registration(registration)
    if registration is None or registration.language == language:
        return registration
    registration.language = language
    registration.save(update_fields=["language", "updated_at"])
    outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, changed=["language"])
    return registration


class TooManyAddressChanges(Exception):
    """More new addresses asked for within the hour than STRANGER_EMAILS_PER_HOUR: the details
    page must not be a way to send our emails to anyone's inbox."""


def may_ask_for_a_new_address(registration):
    return _under_hourly_cap(registration, [OutgoingEmail.Kind.CONFIRM_NEW_EMAIL])


# How long the link that confirms a new email address works.
NEW_EMAIL_VALID_FOR = datetime.timedelta(days=2)


@transaction.atomic
def update_details(registration, *, details, platforms, partnerships, listed, answers, email):
    """A participant's corrections from the details page: their own fields, platforms,
    partnerships, listing consent and answers, at once; each change is confirmed by email. A
    new `email` is only asked for: a link goes to that address, and the address changes when
    it is opened (confirm_new_email). Returns the names of what changed; OptionFull if an
    answer's places are used up (nothing saved)."""
    registration = lock_registration(registration)
    if registration is None:
        return []
    changed = [name for name, value in details.items() if getattr(registration, name) != value]
    for name in changed:
        setattr(registration, name, details[name])
    if listed != bool(registration.listed_consent_at):
        registration.listed_consent_at = timezone.now() if listed else None
        changed.append("listed")
    for name, chosen in (("platforms", platforms), ("partnerships", partnerships)):
        related = getattr(registration, name)
        if set(related.values_list("pk", flat=True)) != {item.pk for item in chosen}:
            related.set(chosen)
            changed.append(name)
    if save_answers(registration, answers):
        changed.append("answers")
    if email.lower() == registration.email.lower() and registration.new_email:
        registration.new_email, registration.new_email_key, registration.new_email_asked_at = "", "", None
        changed.append("new_email_withdrawn")
    elif email.lower() != registration.email.lower() and email.lower() != registration.new_email.lower():
        if not may_ask_for_a_new_address(registration):
            raise TooManyAddressChanges
        registration.new_email, registration.new_email_key = email, new_token()
        registration.new_email_asked_at = timezone.now()
        outbox.queue(registration, OutgoingEmail.Kind.CONFIRM_NEW_EMAIL, to=email, key=registration.new_email_key)
        changed.append("new_email")
    if changed:
        registration.save()
        outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, changed=changed)
    return changed


class EmailNotConfirmed(Exception):
    """The link is unknown, too old, or the address is meanwhile registered by someone else."""


@transaction.atomic
def confirm_new_email(event, key):
    """Replaces the registration's address by the one the key was sent to; the old address is
    told. Raises EmailNotConfirmed with the reason."""
    registration = locked_registrations().filter(
        event=event, new_email_key=key, status__in=[ACTIVE, PENDING]).first() if key else None
    if registration is None or registration.new_email_asked_at < timezone.now() - NEW_EMAIL_VALID_FOR:
        raise EmailNotConfirmed(_("This link does not work (any more). Ask for the change again on your private page."))
    if Registration.objects.filter(event=event).with_email(registration.new_email).exclude(pk=registration.pk).exists():
        raise EmailNotConfirmed(_("This address is already registered for the event, so it cannot replace yours. "
                                  "Please write to the organisers."))
    old = registration.email
    registration.email = registration.new_email
    registration.new_email, registration.new_email_key, registration.new_email_asked_at = "", "", None
    registration.token = new_token()  # the mailbox being left keeps no key to the registration
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:  # registered by someone else a moment ago
        raise EmailNotConfirmed(_("This address is already registered for the event, so it cannot replace yours. "
                                  "Please write to the organisers."))
    outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, changed=["email"])
    outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, to=old, changed=["email"], old_address=old)
    return registration


class NotAdmitted(Exception):
    """Cancelled, rejected, expired, or not admitted yet: not checked in."""

    def __init__(self, registration):
        self.registration = registration
        super().__init__(registration.get_status_display())


class NoSeatHere(Exception):
    """Checking someone into a session they have no seat in."""


@transaction.atomic
def check_in(registration, session=None, now=None):
    """Marks the participant as arrived today (once a day: an Arrival; the first ever is also
    Registration.checked_in_at); with a session, as arrived in that session too (which they
    must have a seat in). Returns (registration, first_time): first today at the door, or first
    in the session when there is one. NotAdmitted if they are not (or no longer) in, NoSeatHere."""
    registration = locked_registrations().get(pk=registration.pk)
    if not registration.is_admitted:
        raise NotAdmitted(registration)
    now = now or timezone.now()
    # The registration's lock makes this read-then-create safe; the unique index backs it.
    _arrival, first_time = registration.arrivals.get_or_create(
        day=timezone.localdate(now, registration.event.tz), defaults={"at": now})
    if registration.checked_in_at is None:
        registration.checked_in_at = now
        registration.save(update_fields=["checked_in_at", "updated_at"])
    if session is None:
        return registration, first_time
    # The registration's lock serialises the participant's own changes; the booking's row lock
    # waits for a staff change or a session's cancellation, and then finds the seat gone.
    booking = registration.bookings.select_for_update(no_key=True).filter(
        session=session, status=Booking.Status.CONFIRMED).first()
    if booking is None:
        raise NoSeatHere(registration)
    if booking.checked_in_at:
        return registration, False
    booking.checked_in_at = now
    booking.save(update_fields=["checked_in_at", "updated_at"])
    return registration, True


def arrived_today(registration, now=None):
    """The registration's Arrival of today (the event's day), or None."""
    return registration.arrivals.filter(day=timezone.localdate(now or timezone.now(), registration.event.tz)).first()


@transaction.atomic
def invite(event, name, email, language=None):
    """Invites someone: an Invitation and its email, with their personal link. An address
    already invited to the event is skipped. Returns (invitation, created)."""
    existing = Invitation.objects.filter(event=event).alias(email_lower=Lower("email")).filter(
        email_lower=email.lower()).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                event=event, name=name.strip(), email=email.strip(), language=language or settings.LANGUAGE_CODE)
    except IntegrityError:  # invited by someone else a moment ago
        return Invitation.objects.filter(event=event).alias(email_lower=Lower("email")).get(
            email_lower=email.lower()), False
    outbox.queue_for_invitation(invitation, OutgoingEmail.Kind.INVITATION)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return invitation, True


@transaction.atomic
def remind_invitations(invitations):
    """One reminder to each invitee who has neither registered nor declined, and was not
    reminded yet; returns how many."""
    # Locked by primary key alone: the admin's queryset joins the (nullable) registration, which
    # FOR UPDATE cannot lock.
    due = list(Invitation.objects.select_for_update().filter(
        pk__in=invitations.values("pk"), status=Invitation.Status.INVITED, reminded_at__isnull=True))
    for invitation in due:
        outbox.queue_for_invitation(invitation, OutgoingEmail.Kind.INVITATION_REMINDER)
    Invitation.objects.filter(pk__in=[invitation.pk for invitation in due]).update(reminded_at=timezone.now())
    return len(due)


@transaction.atomic
def decline_invitation(invitation):
    """The invitee cannot come: no reminder, and the link no longer registers."""
    return Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.INVITED).update(
        status=Invitation.Status.DECLINED) == 1


# Outbox rows a mailing or the reminders write per INSERT, and hand to one delivery task.
MAILING_BATCH = 500


def send_mailing(mailing):
    """Queues the mailing for everyone it reaches now: one outbox row per person, in their
    language, written in bulk in one transaction; the rows go to the workers in batches after
    commit. At most one row per (mailing, person), whatever is clicked twice or crashes: the
    mailing is locked and marked sent in the same transaction, and a unique index backs it.
    Returns how many were queued (0 if it was sent already)."""
    with transaction.atomic():
        mailing = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if mailing.status in (Mailing.Status.SENDING, Mailing.Status.SENT):
            return 0
        people = list(mailings.recipients(mailing).values_list("pk", "email"))
        # Due for requeue_stale() only once the batches should have sent them (at 50 a second),
        # so it does not publish rows one by one that a batch is about to send.
        due = timezone.now() + datetime.timedelta(seconds=len(people) / 50)
        rows = [OutgoingEmail(kind=OutgoingEmail.Kind.MAILING, registration_id=pk, to_address=email, mailing=mailing,
                              next_attempt_at=due) for pk, email in people]
        OutgoingEmail.objects.bulk_create(rows, batch_size=MAILING_BATCH, ignore_conflicts=True)
        mailing.status, mailing.sent_at, mailing.recipients = Mailing.Status.SENT, timezone.now(), len(people)
        mailing.save(update_fields=["status", "sent_at", "recipients", "updated_at"])
        ids = list(mailing.emails.values_list("pk", flat=True))
        transaction.on_commit(lambda: outbox.enqueue_batches(ids, MAILING_BATCH))
    return len(people)


def send_due_mailings(now=None):
    """Sends the scheduled mailings whose time has come (beat, every minute); returns how many."""
    now = now or timezone.now()
    due = Mailing.objects.filter(status=Mailing.Status.SCHEDULED, send_at__lte=now).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if send_mailing(Mailing(pk=pk)))


def send_reminders(now=None):
    """The reminder before the event: to each active participant once, `reminder_days_before`
    days before its first day (by the event's clock), until it starts. Beat runs it hourly; a
    unique index keeps it to one per person. Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    for event in Event.objects.filter(reminder_days_before__isnull=False, end_date__gte=now.date()):
        today = timezone.localtime(now, event.tz).date()
        if not (event.start_date - datetime.timedelta(days=event.reminder_days_before) <= today < event.start_date):
            continue
        with transaction.atomic():
            people = list(Registration.objects.filter(event=event, status=ACTIVE).exclude(
                emails__kind=OutgoingEmail.Kind.REMINDER).values_list("pk", "email"))
            OutgoingEmail.objects.bulk_create(
                [OutgoingEmail(kind=OutgoingEmail.Kind.REMINDER, registration_id=pk, to_address=email)
                 for pk, email in people], batch_size=MAILING_BATCH, ignore_conflicts=True)
            ids = list(OutgoingEmail.objects.filter(  # the rows written now, not those waiting for a retry
                kind=OutgoingEmail.Kind.REMINDER, status=outbox.QUEUED, attempts=0,
                registration_id__in=[pk for pk, _email in people]).values_list("pk", flat=True))
            transaction.on_commit(lambda ids=ids: outbox.enqueue_batches(ids, MAILING_BATCH))
        queued += len(people)
    return queued


@transaction.atomic
def cancel_session(session):
    """Cancels a session: every seat, held seat and waitlist place in it is given up, and each
    person who had one is emailed; the agenda shows it cancelled, its calendar entry says so (a
    new SEQUENCE), and nobody can book it. Locks the session (as an organiser's edit does).
    Returns how many people were told (0 if it was cancelled already)."""
    [session] = lock_sessions([session.pk])
    if session.cancelled_at:
        return 0
    live = session.bookings.exclude(status=CANCELLED)
    told = list(Registration.objects.filter(
        pk__in=live.values("registration_id"), status__in=[ACTIVE, PENDING, UNVERIFIED]).order_by("pk"))
    live.update(status=CANCELLED, updated_at=timezone.now())
    session.cancelled_at, session.registrable = timezone.now(), False
    session.save()
    for registration in told:
        outbox.queue(registration, OutgoingEmail.Kind.SESSION_CANCELLED, session=session.pk)
    transaction.on_commit(agenda_changed)
    return len(told)


@transaction.atomic
def undo_check_in(registration, session=None, now=None):
    """Takes back a check-in made by mistake, today's: into one session (and today's arrival,
    when that check-in made it), or (no session) today's arrival with today's session
    check-ins. Checked in on an earlier day, they stay so. Returns the registration."""
    registration = locked_registrations().get(pk=registration.pk)
    today = arrived_today(registration, now)
    if session is None and today is None:
        return registration  # not at the door today: nothing of today's to take back
    checked_today = registration.bookings.filter(checked_in_at__isnull=False)
    if today is not None:
        checked_today = checked_today.filter(checked_in_at__gte=today.at)
    if session is not None:
        mistaken = checked_today.filter(session=session).first()
        if mistaken is None:
            return registration
        checked_today.filter(pk=mistaken.pk).update(checked_in_at=None, updated_at=timezone.now())
        # That check-in was their arrival too (the same moment, nothing else since): take it back,
        # or a wrong row clicked in a room would leave an arrival and a certificate.
        made_the_arrival = today is not None and today.at == mistaken.checked_in_at
        if not made_the_arrival or checked_today.exclude(pk=mistaken.pk).exists():
            return registration
    checked_today.update(checked_in_at=None, updated_at=timezone.now())
    if today is not None:
        today.delete()
    if registration.checked_in_at and not registration.arrivals.exists():
        registration.checked_in_at = None
        registration.save(update_fields=["checked_in_at", "updated_at"])
    return registration


def _copy(instance, **changes):
    """A new row with the instance's fields (translations included) but `changes`."""
    instance.pk = instance.id = None
    instance._state.adding = True
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save()
    return instance


@transaction.atomic
def duplicate_event(event, *, name, slug, start_date):
    """A new edition of the event: its settings, rooms, sessions (shifted to the new first day,
    with their speakers) and questions (with their answers offered); no people, no bookings, no
    emails. The new name goes in every language; its translations are the organisers' to write.
    Returns the new event."""
    shift = start_date - event.start_date
    delta = datetime.timedelta(days=shift.days)
    rooms = list(event.rooms.all())
    sessions = list(event.sessions.prefetch_related("speakers"))
    questions = list(event.questions.prefetch_related("options"))
    names = {f"name_{code}": name for code, _language in settings.LANGUAGES}
    new = _copy(Event.objects.get(pk=event.pk), slug=slug, start_date=start_date, end_date=event.end_date + delta,
                registration_opens=event.registration_opens and event.registration_opens + delta,
                registration_closes=event.registration_closes and event.registration_closes + delta, **names)
    new_rooms = {room.pk: _copy(room, event=new) for room in rooms}
    for session in sessions:
        speakers = list(session.speakers.all())
        copy = _copy(session, event=new, room=new_rooms.get(session.room_id), starts_at=session.starts_at + delta,
                     ends_at=session.ends_at + delta, cancelled_at=None, sequence=0,
                     registrable=session.registrable or session.cancelled_at is not None)
        copy.speakers.set(speakers)
    for question in questions:
        options = list(question.options.all())
        copy = _copy(question, event=new)
        for option in options:
            _copy(option, question=copy)
    transaction.on_commit(agenda_changed)
    return new


@transaction.atomic
def give_seat(booking):
    """Staff give this person on the waitlist a seat, whatever their place in line (a speaker's
    colleague, say). Seats freed go to the first in line at once, so there is rarely one free:
    the session then gets one seat more (its own capacity). Held for someone not admitted yet;
    emailed to someone admitted. Returns (booking, whether a seat was added)."""
    registration = lock_registration(booking.registration)
    [session] = lock_sessions([booking.session_id])
    # Read again: it may have been promoted, cancelled, or deleted by a new sign-up (book()).
    booking = Booking.objects.filter(pk=booking.pk).first()
    if registration is None or booking is None or booking.status != WAITLISTED:
        return booking, False
    limit = session.seat_limit
    added = limit is not None and seats_taken(session) >= limit
    if added:
        session.capacity = seats_taken(session) + 1
        session.save(update_fields=["capacity", "sequence"])
        transaction.on_commit(agenda_changed)
    booking.status = CONFIRMED if registration.is_admitted else HELD
    booking.save(update_fields=["status", "updated_at"])
    if booking.status == CONFIRMED:
        outbox.queue(registration, OutgoingEmail.Kind.PROMOTION, session=session.pk)
    return booking, added


@transaction.atomic
def move_booking(booking, to_session):
    """Staff move a person from one session to another: their place in the first is given up
    (the seat to those waiting), and they get a seat in the other, or the end of its waitlist.
    One email says what changed. Returns the new booking, or None if nothing was moved."""
    registration = lock_registration(booking.registration)
    if registration is None or to_session.pk == booking.session_id:
        return None
    locked = {session.pk: session for session in lock_sessions([booking.session_id, to_session.pk])}
    bookings = live_bookings_of(registration, [booking.session_id, to_session.pk])
    current = bookings.get(booking.session_id)
    if current is None or not is_bookable(locked[to_session.pk]):
        return None
    _cancel_booking(current, locked[booking.session_id])
    moved = bookings.get(to_session.pk) or book(registration, locked[to_session.pk])
    outbox.queue(registration, OutgoingEmail.Kind.CHANGE, added=[to_session.pk], dropped=[booking.session_id])
    return moved
