"""40 people sign up at the same moment for 10 seats: no oversell, nobody lost, arrival order.

The negative control runs the same race against an allocation without the row lock and with a
pause between counting and writing: it must oversell, which shows this test can see a race.
"""
import threading
import time

import pytest
from django.db import connection

from agenda.models import Session
from registrations import services
from registrations.models import Booking, Registration
from tests.factories import EventFactory, PlatformFactory, SessionFactory, details_for

PEOPLE, SEATS = 40, 10

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(event, platform, session):
    """PEOPLE threads, each with its own database connection, released at the same instant.
    Returns the errors raised and {registration id: the place services.register reported}."""
    start, errors, told = threading.Barrier(PEOPLE), [], {}

    def sign_up(number):
        try:
            start.wait()
            registration, _created, places = services.register(
                event,
                details=details_for(f"racer{number}@example.org"),
                platforms=[platform],
                sessions=[session],
            )
            told[registration.pk] = places[session.pk]
        except Exception as error:  # collected: a lost sign-up must fail the test, not vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(number,)) for number in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors, told


@pytest.fixture
def contest(db):
    event = EventFactory()
    return event, PlatformFactory(slug="agri-food", name="Agri-Food"), SessionFactory(event=event, capacity=SEATS)


def test_forty_at_once_for_ten_seats_gives_ten_seats_and_thirty_waitlist_places_in_order(contest):
    event, platform, session = contest
    errors, told = race(event, platform, session)

    assert errors == []
    assert Registration.objects.filter(event=event).count() == PEOPLE
    bookings = list(Booking.objects.filter(session=session).with_waitlist_position().order_by("id"))
    assert len(bookings) == PEOPLE
    # Arrival order is the order in which the sign-ups got the session's lock, which is id order:
    # the first ten got the seats, the thirty after them queue in the same order.
    assert [booking.status for booking in bookings] == ["confirmed"] * SEATS + ["waitlisted"] * (PEOPLE - SEATS)
    assert [booking.waitlist_position for booking in bookings[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    # What each sign-up was told (its result page) is what the database holds.
    assert told == {booking.registration_id: (booking.status, booking.waitlist_position) for booking in bookings}


def test_negative_control_without_the_lock_the_same_race_oversells(contest, monkeypatch):
    event, platform, session = contest

    def lock_nothing(session_ids):
        return list(Session.objects.filter(pk__in=session_ids).select_related("room").order_by("pk"))

    real_seat_counts = services.seat_counts

    def count_then_pause(session):
        counts = real_seat_counts(session)
        time.sleep(0.05)  # widen the window between reading the counts and writing the booking
        return counts

    monkeypatch.setattr(services, "lock_sessions", lock_nothing)
    monkeypatch.setattr(services, "seat_counts", count_then_pause)
    race(event, platform, session)

    confirmed = Booking.objects.filter(session=session, status="confirmed").count()
    assert confirmed > SEATS, f"expected an oversell without the lock, got {confirmed} confirmed"


def test_a_double_click_racing_itself_is_told_its_own_places_both_times(contest, monkeypatch):
    """Two POSTs of one form at the same instant: one registers, the other runs into the unique
    email index (IntegrityError) and, coming from the same browser, is told the same places.
    Both clicks are held until each has looked the address up and found nothing, so the second
    always reaches the duplicate branch."""
    event, platform, session = contest
    for number in range(SEATS):  # the session is full: the racing sign-up waits in line
        services.register(event, details=details_for(f"early{number}@example.org"), platforms=[platform], sessions=[session])
    both_looked, lookups = threading.Barrier(2), []
    real_registration_of = services.registration_of

    def registration_of(event, email):
        found = real_registration_of(event, email)
        lookups.append(found)
        if len(lookups) <= 2:  # the first look-up of each click; the duplicate branch looks again
            both_looked.wait(10)
        return found

    monkeypatch.setattr(services, "registration_of", registration_of)
    start, results, errors = threading.Barrier(2), [], []

    def click():
        try:
            start.wait()
            results.append(services.register(
                event, details=details_for("ane@example.org"), platforms=[platform], sessions=[session],
                browser="b" * 64,
            ))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sorted(created for _, created, _ in results) == [False, True]
    assert lookups[:2] == [None, None] and len(lookups) == 3  # the loser took the IntegrityError branch
    assert [places for _, _, places in results] == [{session.pk: ("waitlisted", 1)}] * 2
    assert Registration.objects.filter(email="ane@example.org").count() == 1
