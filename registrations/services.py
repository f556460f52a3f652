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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agenda.models import Session
from registrations import outbox
from registrations import questions
from registrations.models import Answer, Booking, OutgoingEmail, QuestionOption, Registration, new_token

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
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    sent = registration.emails.filter(kind=OutgoingEmail.Kind.PRIVATE_LINK, created_at__gte=hour_ago).count()
    return sent < settings.STRANGER_EMAILS_PER_HOUR


# How long after signing up a browser is recognised as the one that did (views.py's cookies
# last as long): after that, a shared computer's next user is a stranger like any other.
SAME_BROWSER_FOR = datetime.timedelta(hours=1)


def register(event, *, details, platforms, sessions, partnerships=(), listed=False, browser="", answers=None):
    """Signs someone up. Returns (registration, created, places): places is {session id: Place},
    what the sign-up got. `browser` identifies the browser it came from (a hash of a cookie).

    An email already registered for the event changes nothing: its owner is sent their private
    link instead (created is False). The submitter's page must then look the same as a
    newcomer's and tell a stranger nothing, so places is what a newcomer would get right now,
    by the same rule; unless the sign-up came from this same browser (a double click, the back
    button), which is shown the registration's own places.

    `answers` is {question: cleaned value} of the organisers' questions; an option whose places
    are all taken raises OptionFull and nothing is saved.
    """
    email = details["email"]

    def already_registered(existing):
        if may_email_for_a_stranger(existing):
            outbox.queue(existing, OutgoingEmail.Kind.PRIVATE_LINK)
        signed_up_lately = existing.consent_given_at > timezone.now() - SAME_BROWSER_FOR
        if browser and existing.signup_browser == browser and signed_up_lately:
            return existing, False, current_places(existing)
        return existing, False, projected_places(sessions)

    try:
        with transaction.atomic():
            existing = registration_of(event, email)
            if existing and not existing.is_cancelled:
                refuse_full_options(answers or {})  # as a newcomer would be: tells nobody it exists
                return already_registered(existing)
            registration = existing or Registration(event=event)
            registration.signup_browser = browser
            bookings = _sign_up(registration, details, platforms, sessions, partnerships, listed, answers or {})
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


def _sign_up(registration, details, platforms, sessions, partnerships, listed, answers):
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
    save_answers(registration, answers)
    outbox.queue(registration, OutgoingEmail.Kind.CONFIRMATION)
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
    # NO KEY: answers of others still insert their rows pointing at the option (KEY SHARE).
    limited = list(QuestionOption.objects.select_for_update(no_key=True).filter(
        pk__in=sorted(set(question_of) - held), limit__isnull=False).order_by("pk"))
    if not limited:
        return
    taken = Answer.options.through.objects.filter(
        questionoption__in=limited, answer__registration__status=Registration.Status.ACTIVE)
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
    if registration and not registration.is_cancelled and may_email_for_a_stranger(registration):
        outbox.queue(registration, OutgoingEmail.Kind.PRIVATE_LINK)
    return registration


def notify_session_moved(session, was):
    """Queues an email to everyone holding a seat or a waitlist place in a session whose time
    or room has just changed; `was` is the session as it was before. Returns how many."""
    registrations = Registration.objects.filter(
        status=Registration.Status.ACTIVE, bookings__session=session, bookings__status__in=[CONFIRMED, WAITLISTED]
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
    for original in originals:
        outbox.queue(original.registration, original.kind, **original.context)
    return len(originals)


def lock_registration(registration):
    """The registration, locked; None if it was cancelled meanwhile."""
    locked = locked_registrations().get(pk=registration.pk)
    return None if locked.is_cancelled else locked


def live_bookings_of(registration, session_ids=None):
    """{session id: booking} of the registration's seats and waitlist places, read afresh: call
    it once the sessions are locked, as a promotion may have turned a waitlist place into a seat
    since the caller last looked."""
    bookings = registration.bookings.exclude(status=CANCELLED)
    if session_ids is not None:
        bookings = bookings.filter(session_id__in=session_ids)
    return {booking.session_id: booking for booking in bookings}


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
    for session in locked:
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
    locked_sessions = lock_sessions(registration.bookings.exclude(status=CANCELLED).values_list("session_id", flat=True))
    bookings = live_bookings_of(registration)
    for session in locked_sessions:
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
    if email.lower() != registration.email.lower() and email.lower() != registration.new_email.lower():
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
        event=event, new_email_key=key, status=Registration.Status.ACTIVE).first() if key else None
    if registration is None or registration.new_email_asked_at < timezone.now() - NEW_EMAIL_VALID_FOR:
        raise EmailNotConfirmed(_("This link does not work (any more). Ask for the change again on your private page."))
    if Registration.objects.filter(event=event).with_email(registration.new_email).exclude(pk=registration.pk).exists():
        raise EmailNotConfirmed(_("This address is already registered for the event, so it cannot replace yours. "
                                  "Please write to the organisers."))
    old = registration.email
    registration.email = registration.new_email
    registration.new_email, registration.new_email_key, registration.new_email_asked_at = "", "", None
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:  # registered by someone else a moment ago
        raise EmailNotConfirmed(_("This address is already registered for the event, so it cannot replace yours. "
                                  "Please write to the organisers."))
    outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, changed=["email"])
    outbox.queue(registration, OutgoingEmail.Kind.DETAILS_CHANGED, to=old, changed=["email"], old_address=old)
    return registration


@transaction.atomic
def check_in(registration):
    """Marks the participant as arrived, once. Returns (registration, first_time)."""
    registration = locked_registrations().get(pk=registration.pk)
    if registration.checked_in_at:
        return registration, False
    registration.checked_in_at = timezone.now()
    registration.save(update_fields=["checked_in_at", "updated_at"])
    return registration, True
