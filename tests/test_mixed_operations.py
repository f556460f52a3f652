"""Every write path at once: sign-ups, changes, cancellations, promotions, participants'
corrections of their details and answers, staff giving seats and moving people, and
organisers' edits in the admin (session, room
and event pages, the inlines too, and a question's answers with their places), racing each
other on PostgreSQL; with addresses confirmed and organisers approving, verifications,
expiries, approvals and rejections race them too. Nothing may fail, no session may hold more
seats than it has (confirmed and held), no answer more people than its places, nobody may wait
beside a free seat, and every registration has its first email.

Each test has a negative control: the same race with the lock order the app had before
(registrations locked FOR UPDATE, so a promotion's outbox row for someone changing their own
sessions waits on them; admin pages writing sessions first, then locking each in start-time
order to promote) must fail, which shows the test can see the races it guards against.
"""
import contextlib
import datetime
import random
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import Event, Session
from networking import services as networking
from networking.models import Meeting, MeetingSlot, Profile
from registrations import services
from registrations.models import Booking, OutgoingEmail, Question, QuestionOption, Registration
from tests.factories import MADRID, EventFactory, PlatformFactory, RoomFactory, SessionFactory, details_for
from tests.html_forms import form_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def old_lock_order(monkeypatch):
    """The lock order before issue 11, put back."""
    monkeypatch.setattr(services, "locked_registrations", lambda: Registration.objects.select_for_update())

    @contextlib.contextmanager
    def write_then_lock_in_start_order(event_ids):
        with transaction.atomic():
            yield services.ProgrammeEdit()
            for session in Session.objects.filter(event_id__in=event_ids).order_by("starts_at"):
                services.promote_waitlist(session)

    monkeypatch.setattr(services, "programme_edit", write_then_lock_in_start_order)


def run_together(*jobs):
    """Runs the jobs in threads of their own; returns the errors they raised."""
    errors = []

    def run(job):
        try:
            job()
        except Exception as error:  # collected: a failed operation must fail the test, not vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


# --- Finding 1: promoted while changing one's own sessions --------------------------------------

def promoted_while_changing_their_sessions(monkeypatch):
    """Pia waits for the one seat of a session that Quim holds; Pia drops that session (her
    transaction has her registration and is about to lock the session) just as Quim gives the
    seat up (his transaction has the session and promotes Pia, writing her an email)."""
    event = EventFactory()
    platform = PlatformFactory(slug="energy", name="Energy")
    full, other = SessionFactory(event=event, capacity=1), SessionFactory(event=event)
    people = {}
    for name in ["quim", "pia", "rut"]:
        people[name] = services.register(event, details=details_for(f"{name}@example.org"), platforms=[platform],
                                         sessions=[full])[0]
    pia_holds_her_registration = threading.Event()
    real_lock_sessions = services.lock_sessions

    def lock_sessions(session_ids):
        if threading.current_thread().name == "pia":
            pia_holds_her_registration.set()
            time.sleep(0.5)  # Quim's cancellation runs meanwhile
        return real_lock_sessions(session_ids)

    monkeypatch.setattr(services, "lock_sessions", lock_sessions)

    def pia_changes():
        threading.current_thread().name = "pia"
        services.change_sessions(people["pia"], [other])

    def quim_cancels():
        pia_holds_her_registration.wait(10)
        services.cancel_booking(people["quim"].bookings.get())

    return people, full, run_together(pia_changes, quim_cancels)


def test_a_person_promoted_while_changing_their_sessions_deadlocks_nobody(monkeypatch):
    people, full, errors = promoted_while_changing_their_sessions(monkeypatch)
    assert errors == []
    # Pia was promoted, then gave the seat up (read afresh under the lock): it went on to Rut.
    assert list(full.bookings.filter(status="confirmed").values_list("registration", flat=True)) == [people["rut"].pk]
    assert set(OutgoingEmail.objects.filter(kind="promotion").values_list("registration", flat=True)) == {
        people["pia"].pk, people["rut"].pk}


def test_negative_control_with_the_old_lock_order_the_same_moment_deadlocks(monkeypatch, old_lock_order):
    _, _, errors = promoted_while_changing_their_sessions(monkeypatch)
    assert any("deadlock detected" in str(error) for error in errors), errors


# --- Everything at once ----------------------------------------------------------------------

THREADS, OPERATIONS_EACH = 6, 14


class Programme:
    """An event whose sessions' primary-key order is the reverse of their start-time order (an
    admin page saving in start-time order and sign-ups locking in key order then cross)."""

    def __init__(self):
        self.event = EventFactory()
        self.platform = PlatformFactory(slug="energy", name="Energy")
        small, large = RoomFactory(event=self.event, capacity=3, name="Small"), RoomFactory(event=self.event, capacity=4)
        day = datetime.datetime(2018, 11, 27, tzinfo=MADRID)
        self.sessions = [
            SessionFactory(event=self.event, room=room, capacity=capacity, starts_at=day.replace(hour=hour),
                           ends_at=day.replace(hour=hour, minute=50))
            for hour, room, capacity in [(16, small, None), (12, large, 2), (9, large, None)]
        ]
        self.rooms = [small, large]
        self.admin = User.objects.create_superuser("boss", "boss@example.org", "pw")
        # A dinner with few places, chosen by sign-ups and corrections, its places edited.
        self.dinner = Question.objects.create(event=self.event, label="Dinner", kind="single_choice")
        self.options = [QuestionOption.objects.create(question=self.dinner, label="Yes", limit=3, position=0),
                        QuestionOption.objects.create(question=self.dinner, label="No", position=1)]
        self.next_person = 0
        self.lock = threading.Lock()
        # Networking (issue 17): slots for one-to-one meetings, over the sessions' hours.
        Event.objects.filter(pk=self.event.pk).update(matchmaking=True)
        self.day = day
        self.meeting_slots = [MeetingSlot.objects.create(event=self.event, room=small, tables=2, starts_at=day.replace(
            hour=hour, minute=20), ends_at=day.replace(hour=hour, minute=40)) for hour in (9, 12, 16)]

    def new_email(self):
        with self.lock:
            self.next_person += 1
            return f"person{self.next_person}@example.org"


def operations(programme, rng):
    """The kinds of write, each picking its own target at random."""
    event, sessions = programme.event, programme.sessions

    def some_sessions():
        return rng.sample(sessions, rng.randint(1, len(sessions)))

    def someone():
        return Registration.objects.filter(event=event, status="active").order_by("?").first()

    def some_answer():
        choice = rng.choice([*programme.options, None])
        return {programme.dinner: choice.pk if choice else None}

    def sign_up():
        try:
            services.register(event, details=details_for(programme.new_email()), platforms=[programme.platform],
                              sessions=some_sessions(), answers=some_answer())
        except services.OptionFull:
            pass  # refused with a message on the form: a right outcome

    def correct_details():
        if person := someone():
            try:
                services.update_details(person, details={"organisation": f"Org {rng.randint(1, 9)}"},
                                        platforms=[programme.platform], partnerships=[], listed=rng.random() < 0.5,
                                        answers=some_answer(), email=person.email)
            except services.OptionFull:
                pass

    def change():
        if person := someone():
            try:
                services.change_sessions(person, some_sessions())
            except services.ClashesWithCommitment:
                pass  # a session at the time of their meeting, refused with a message: a right outcome

    def cancel_a_booking():
        booking = Booking.objects.filter(registration__event=event).exclude(status="cancelled").order_by("?").first()
        if booking:
            services.cancel_booking(booking)

    def cancel_a_registration():
        if rng.random() < 0.3 and (person := someone()):
            services.cancel(person)

    def promote():
        services.promote_waitlist(rng.choice(sessions))

    def give_a_seat():  # staff, on the session's page
        if booking := Booking.objects.filter(session__event=event, status="waitlisted").order_by("?").first():
            services.give_seat(booking)

    def move_someone():  # staff, on the session's page
        if booking := Booking.objects.filter(session__event=event).exclude(status="cancelled").order_by("?").first():
            services.move_booking(booking, rng.choice(sessions))

    def in_status(status):
        return Registration.objects.filter(event=event, status=status).order_by("?").first()

    def verify():
        if person := in_status("unverified"):
            services.verify(person)  # in time: verified; too late: expired there and then

    def expire():
        if rng.random() < 0.3:  # now and then, as if the holds ran out
            services.expire_unverified(now=timezone.now() + datetime.timedelta(minutes=31))

    def approve():
        if person := in_status("pending"):
            services.approve(person, message="Welcome")

    def reject():
        if rng.random() < 0.4 and (person := in_status("pending")):
            services.reject(person, reason="Full")

    def admin_page(url_name, pk, form_id, fields):
        client = Client()
        client.force_login(programme.admin)
        url = reverse(url_name, args=[pk])
        data = form_data(client.get(url).content.decode(), form_id)
        for field in fields:
            data[field] = str(rng.randint(1, 6))
        response = client.post(url, data)
        # Saved (302), or refused with a message on the form (200): both are fine; nothing else.
        assert response.status_code in (200, 302), response.status_code

    def session_page():
        admin_page("admin:agenda_session_change", rng.choice(sessions).pk, "session_form", ["capacity"])

    def room_page():
        admin_page("admin:agenda_room_change", rng.choice(programme.rooms).pk, "room_form", ["capacity"])

    def event_page_inlines():
        fields = ["rooms-0-capacity", "rooms-1-capacity", "sessions-0-capacity", "sessions-2-capacity"]
        admin_page("admin:agenda_event_change", event.pk, "event_form", rng.sample(fields, 2))

    def question_page():
        admin_page("admin:registrations_question_change", programme.dinner.pk, "question_form", ["options-0-limit"])

    def accept_a_meeting():  # networking: both people, then the slots (issue 17)
        people = list(Registration.objects.filter(event=event, status="active").order_by("?")[:2])
        if len(people) == 2:
            one, other = (Profile.objects.get_or_create(registration=registration, defaults={
                "visibility": "participants"})[0] for registration in people)
            try:
                networking.accept(networking.request_meeting(one, other, ""), now=programme.day)
            except networking.MeetingRefused:
                pass  # refused with a message: a right outcome

    kinds = [accept_a_meeting, accept_a_meeting, sign_up, sign_up, change, change, cancel_a_booking, cancel_a_registration, promote, session_page,
             room_page, event_page_inlines, event_page_inlines, correct_details, question_page, give_a_seat,
             move_someone]
    if event.verify_email:
        kinds += [verify, verify, expire, approve, approve, reject]
    return kinds


def everything_at_once(monkeypatch, seed, admission=False):
    programme = Programme()
    for _ in range(8):
        services.register(programme.event, details=details_for(programme.new_email()),
                          platforms=[programme.platform], sessions=programme.sessions)
    if admission:  # from now on, addresses are confirmed, then organisers approve
        Event.objects.filter(pk=programme.event.pk).update(verify_email=True, requires_approval=True)
        programme.event.refresh_from_db()
    # Slow the writes a little, the same for both lock orders, so that the windows a wrong order
    # leaves open are wide enough to be hit in a short test.
    real_save, real_counts = Session.save, services.seat_counts

    def slow_save(session, *args, **kwargs):
        real_save(session, *args, **kwargs)
        time.sleep(0.02)

    def slow_counts(session):
        counts = real_counts(session)
        time.sleep(0.005)
        return counts

    monkeypatch.setattr(Session, "save", slow_save)
    monkeypatch.setattr(services, "seat_counts", slow_counts)

    def worker(number):
        rng = random.Random(seed * 100 + number)
        kinds = operations(programme, rng)

        def run():
            for _ in range(OPERATIONS_EACH):
                rng.choice(kinds)()

        return run

    errors = run_together(*[worker(number) for number in range(THREADS)])
    return programme, errors


def broken_invariants(programme):
    broken = []
    for session in Session.objects.filter(event=programme.event).select_related("room").with_seat_counts():
        limit = session.seat_limit
        if limit is not None and session.seats_taken > limit:
            broken.append(f"{session}: {session.seats_taken} confirmed or held for {limit} seats")
        if session.waitlisted_count and (limit is None or session.seats_taken < limit):
            broken.append(f"{session}: {session.waitlisted_count} waiting beside a free seat")
    for option in QuestionOption.objects.filter(question=programme.dinner).with_taken():
        if option.limit is not None and option.taken > option.limit:
            broken.append(f"answer {option}: chosen by {option.taken} for {option.limit} places")
    unconfirmed = Registration.objects.filter(event=programme.event).exclude(
        emails__kind__in=["confirmation", "verify", "pending"])
    broken += [f"{registration}: no first email" for registration in unconfirmed]
    admitted_but_held = Booking.objects.filter(session__event=programme.event, status="held", registration__status="active")
    broken += [f"{booking}: held for someone admitted" for booking in admitted_but_held]
    not_admitted_but_confirmed = Booking.objects.filter(
        session__event=programme.event, status="confirmed").exclude(registration__status="active")
    broken += [f"{booking}: confirmed for someone not admitted" for booking in not_admitted_but_confirmed]
    seen = set()
    for meeting in Meeting.objects.filter(slot__event=programme.event, status="accepted"):
        for profile_id in (meeting.requester_id, meeting.invitee_id):
            if (profile_id, meeting.slot_id) in seen:
                broken.append(f"profile {profile_id}: two meetings in slot {meeting.slot_id}")
            seen.add((profile_id, meeting.slot_id))
    return broken


@pytest.mark.parametrize("seed", [1, 2])
def test_every_write_path_at_once_fails_nothing_oversells_nothing_and_leaves_nobody_waiting(monkeypatch, seed):
    programme, errors = everything_at_once(monkeypatch, seed)
    assert errors == []
    assert broken_invariants(programme) == []
    assert Registration.objects.filter(event=programme.event).count() > 8  # sign-ups did happen


@pytest.mark.parametrize("seed", [3, 4])
def test_with_verification_and_approval_every_path_at_once_keeps_the_invariants(monkeypatch, seed):
    programme, errors = everything_at_once(monkeypatch, seed, admission=True)
    assert errors == []
    assert broken_invariants(programme) == []
    # The admission paths did run: sign-ups to verify, verifications that led on to approval.
    kinds = set(OutgoingEmail.objects.filter(registration__event=programme.event).values_list("kind", flat=True))
    assert "verify" in kinds and kinds & {"pending", "approved", "rejected"}, kinds


def test_negative_control_with_the_old_lock_order_everything_at_once_fails(monkeypatch, old_lock_order):
    # A deadlock is a matter of timing: up to three rounds (each a programme of its own) for one
    # to show; with the right order none ever does (the tests above).
    for seed in (1, 2, 3):
        _programme, errors = everything_at_once(monkeypatch, seed=seed)
        if any("deadlock detected" in str(error) for error in errors):
            break
    assert any("deadlock detected" in str(error) for error in errors), errors
