"""The database itself refuses rows that break the rules, whatever code writes them."""
import datetime

import pytest
from django.db import IntegrityError, transaction

from registrations.models import Booking
from tests.factories import BookingFactory, EventFactory, RegistrationFactory, RoomFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_session_that_ends_before_it_starts_is_rejected():
    session = SessionFactory()
    session.ends_at = session.starts_at - datetime.timedelta(minutes=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_session_that_ends_when_it_starts_is_rejected():
    session = SessionFactory()
    session.ends_at = session.starts_at
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


@pytest.mark.parametrize("factory", [SessionFactory, RoomFactory])
def test_negative_capacity_is_rejected(factory):
    row = factory()
    factory._meta.model.objects.filter(pk=row.pk).update(capacity=0)  # zero is allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        factory._meta.model.objects.filter(pk=row.pk).update(capacity=-1)


def test_second_booking_of_one_registration_for_one_session_is_rejected():
    booking = BookingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            registration=booking.registration, session=booking.session, status=Booking.Status.WAITLISTED
        )


def test_same_email_in_another_letter_case_cannot_register_twice_for_one_event():
    first = RegistrationFactory(email="Ana.Garcia@Example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(event=first.event, email="ana.garcia@example.ORG")


def test_same_email_may_register_for_two_events():
    RegistrationFactory(email="ana@example.org")
    RegistrationFactory(email="ana@example.org", event=EventFactory())


def test_event_that_ends_before_it_starts_is_rejected():
    event = EventFactory()
    event.end_date = event.start_date - datetime.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


def test_looking_up_an_address_in_any_letter_case_matches_the_unique_index():
    from registrations.models import Registration

    registration = RegistrationFactory(email="Ana@Example.org")
    lookup = Registration.objects.filter(event=registration.event).with_email("ANA@example.ORG")
    assert list(lookup) == [registration]
    # The unique index is on LOWER(email): the same expression lets PostgreSQL use it, where
    # email__iexact (UPPER) scanned every registration (seen with EXPLAIN on 100,000 rows).
    sql = str(lookup.query)
    assert 'LOWER("registrations_registration"."email")' in sql and "UPPER" not in sql
