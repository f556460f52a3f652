"""Seats and waitlists through registrations/services.py: confirm, waitlist, cancel, promote."""
import pytest
from django.core import mail

from agenda.models import Session
from registrations import services
from registrations.models import Booking, OutgoingEmail, Registration
from tests.factories import EventFactory, PlatformFactory, RegistrationFactory, SessionFactory, details_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(db):
    return PlatformFactory(slug="energy", name="Energy")


def sign_up(event, platform, sessions, email):
    registration, _created, _places = services.register(
        event, details=details_for(email), platforms=[platform], sessions=sessions
    )
    return registration


def statuses(session):
    return list(
        Booking.objects.filter(session=session).order_by("id").values_list("registration__email", "status")
    )


def positions(session):
    return {
        booking.registration.email: booking.waitlist_position
        for booking in Booking.objects.filter(session=session, status="waitlisted")
        .with_waitlist_position()
        .select_related("registration")
    }


def test_seats_first_then_waitlist_in_order_of_arrival(event, platform):
    session = SessionFactory(event=event, capacity=2)
    for name in ["ana", "ben", "cai", "dan"]:
        sign_up(event, platform, [session], f"{name}@example.org")
    assert statuses(session) == [
        ("ana@example.org", "confirmed"),
        ("ben@example.org", "confirmed"),
        ("cai@example.org", "waitlisted"),
        ("dan@example.org", "waitlisted"),
    ]
    assert positions(session) == {"cai@example.org": 1, "dan@example.org": 2}


def test_cancelling_a_seat_confirms_the_first_on_the_waitlist_and_tells_them(event, platform):
    session = SessionFactory(event=event, capacity=1)
    ana, ben, cai = (sign_up(event, platform, [session], f"{n}@example.org") for n in ["ana", "ben", "cai"])
    services.cancel_booking(ana.bookings.get())
    assert statuses(session) == [
        ("ana@example.org", "cancelled"),
        ("ben@example.org", "confirmed"),
        ("cai@example.org", "waitlisted"),
    ]
    assert positions(session) == {"cai@example.org": 1}
    promotion = OutgoingEmail.objects.get(kind="promotion")
    assert promotion.registration == ben and promotion.context == {"session": session.pk}
    assert any("a seat is yours" in message.subject and message.to == ["ben@example.org"] for message in mail.outbox)


def test_cancelling_a_waitlist_place_promotes_nobody(event, platform):
    session = SessionFactory(event=event, capacity=1)
    sign_up(event, platform, [session], "ana@example.org")
    ben = sign_up(event, platform, [session], "ben@example.org")
    cai = sign_up(event, platform, [session], "cai@example.org")
    services.cancel_booking(ben.bookings.get())
    assert positions(session) == {"cai@example.org": 1}
    assert not OutgoingEmail.objects.filter(kind="promotion").exists()
    assert cai.bookings.get().status == "waitlisted"


def test_cancelling_the_whole_registration_frees_every_seat_and_kills_the_link(event, platform):
    first, second = SessionFactory(event=event, capacity=1), SessionFactory(event=event, capacity=1)
    ana = sign_up(event, platform, [first, second], "ana@example.org")
    ben = sign_up(event, platform, [first, second], "ben@example.org")
    services.cancel(ana)
    ana.refresh_from_db()
    assert ana.status == Registration.Status.CANCELLED
    assert set(ana.bookings.values_list("status", flat=True)) == {"cancelled"}
    assert set(ben.bookings.values_list("status", flat=True)) == {"confirmed"}
    assert OutgoingEmail.objects.filter(kind="promotion", registration=ben).count() == 2


def test_changing_sessions_keeps_held_seats_books_new_ones_and_frees_dropped_ones(event, platform):
    kept, dropped, added = (SessionFactory(event=event, capacity=1) for _ in range(3))
    ana = sign_up(event, platform, [kept, dropped], "ana@example.org")
    ben = sign_up(event, platform, [dropped], "ben@example.org")
    services.change_sessions(ana, [kept, added])
    assert dict(ana.bookings.values_list("session", "status")) == {
        kept.pk: "confirmed",
        dropped.pk: "cancelled",
        added.pk: "confirmed",
    }
    assert ben.bookings.get().status == "confirmed"
    change = OutgoingEmail.objects.get(kind="change")
    assert change.context == {"added": [added.pk], "dropped": [dropped.pk]}


def test_rebooking_a_cancelled_session_goes_to_the_end_of_the_waitlist(event, platform):
    session = SessionFactory(event=event, capacity=1)
    ana = sign_up(event, platform, [session], "ana@example.org")
    sign_up(event, platform, [session], "ben@example.org")
    services.change_sessions(ana, [])
    sign_up(event, platform, [session], "cai@example.org")
    services.change_sessions(ana, [session])
    assert positions(session) == {"cai@example.org": 1, "ana@example.org": 2}


def test_sessions_without_a_limit_always_confirm(event, platform):
    session = SessionFactory(event=event, capacity=None, room=None)
    for n in range(5):
        sign_up(event, platform, [session], f"p{n}@example.org")
    assert set(Booking.objects.values_list("status", flat=True)) == {"confirmed"}


def test_session_capacity_defaults_to_the_rooms(event, platform):
    session = SessionFactory(event=event, capacity=None, room__capacity=1)
    sign_up(event, platform, [session], "ana@example.org")
    sign_up(event, platform, [session], "ben@example.org")
    assert [status for _, status in statuses(session)] == ["confirmed", "waitlisted"]


def test_raising_capacity_then_promote_waitlist_fills_the_new_seats_in_order(event, platform):
    session = SessionFactory(event=event, capacity=1)
    for name in ["ana", "ben", "cai", "dan"]:
        sign_up(event, platform, [session], f"{name}@example.org")
    session.capacity = 3
    session.save()
    promoted = services.promote_waitlist(session)
    assert [booking.registration.email for booking in promoted] == ["ben@example.org", "cai@example.org"]
    assert positions(session) == {"dan@example.org": 1}


def test_an_email_already_registered_changes_nothing_and_gets_the_private_link(event, platform):
    session = SessionFactory(event=event, capacity=5)
    ana = sign_up(event, platform, [session], "ana@example.org")
    mail.outbox.clear()
    again, created, _places = services.register(
        event,
        details={"email": "ANA@example.org", "first_name": "Intruder", "last_name": "X", "organisation": "X",
                 "country": "FR", "region": "", "stakeholder_type": "other"},
        platforms=[platform],
        sessions=[],
    )
    assert (again, created) == (ana, False)
    ana.refresh_from_db()
    assert ana.first_name == "ana" and ana.bookings.get().status == "confirmed"
    [message] = mail.outbox
    assert message.to == ["ana@example.org"] and ana.get_absolute_url() in message.body


def test_someone_who_cancelled_can_sign_up_again_with_a_new_link(event, platform):
    session = SessionFactory(event=event, capacity=5)
    ana = sign_up(event, platform, [session], "ana@example.org")
    old_token = ana.token
    services.cancel(ana)
    again = sign_up(event, platform, [session], "ana@example.org")
    assert again.pk == ana.pk and again.status == "active" and again.token != old_token
    assert again.bookings.get().status == "confirmed"


def test_every_change_writes_its_email_in_the_outbox(event, platform):
    session = SessionFactory(event=event, capacity=1)
    ana = sign_up(event, platform, [session], "ana@example.org")
    sign_up(event, platform, [session], "ben@example.org")
    services.cancel(ana)
    kinds = list(OutgoingEmail.objects.order_by("id").values_list("registration__email", "kind", "status"))
    assert kinds == [
        ("ana@example.org", "confirmation", "sent"),
        ("ben@example.org", "confirmation", "sent"),
        ("ben@example.org", "promotion", "sent"),
        ("ana@example.org", "cancellation", "sent"),
    ]


def test_another_events_registration_does_not_block_the_email(platform):
    first, second = EventFactory(), EventFactory()
    RegistrationFactory(event=first, email="ana@example.org")
    registration = sign_up(second, platform, [], "ana@example.org")
    assert registration.event == second


def test_sender_and_subject_prefix_come_from_the_settings(event, platform, settings):
    settings.DEFAULT_FROM_EMAIL = "JRC S3 <s3@example.eu>"
    settings.EMAIL_SUBJECT_PREFIX = "[S3] "
    sign_up(event, platform, [], "ana@example.org")
    [message] = mail.outbox
    assert message.from_email == "JRC S3 <s3@example.eu>" and message.subject.startswith("[S3] ")


def test_a_newcomer_never_takes_a_seat_someone_is_waiting_for(event, platform):
    session = SessionFactory(event=event, capacity=1)
    sign_up(event, platform, [session], "ana@example.org")
    sign_up(event, platform, [session], "ben@example.org")
    Session.objects.filter(pk=session.pk).update(capacity=2)  # raised outside the services
    sign_up(event, platform, [session], "cai@example.org")
    assert statuses(session) == [
        ("ana@example.org", "confirmed"),
        ("ben@example.org", "confirmed"),
        ("cai@example.org", "waitlisted"),
    ]


def test_changing_sessions_keeps_bookings_of_sessions_no_longer_open_to_booking(event, platform):
    open_session, closed_later = SessionFactory(event=event), SessionFactory(event=event)
    ana = sign_up(event, platform, [open_session, closed_later], "ana@example.org")
    Session.objects.filter(pk=closed_later.pk).update(registrable=False)
    services.change_sessions(ana, [])  # the form offers only registrable sessions
    assert dict(ana.bookings.values_list("session", "status")) == {
        open_session.pk: "cancelled", closed_later.pk: "confirmed"}


def test_a_cancelled_registration_cannot_change_or_cancel_again(event, platform):
    session = SessionFactory(event=event)
    ana = sign_up(event, platform, [session], "ana@example.org")
    booking = ana.bookings.get()
    services.cancel(ana)
    assert services.change_sessions(ana, [session]) is None
    services.cancel_booking(booking)
    assert OutgoingEmail.objects.filter(kind="cancellation").count() == 1


@pytest.mark.parametrize(
    "limit, confirmed, waiting, place",
    [
        (None, 500, 0, ("confirmed", None)),  # no limit
        (None, 5, 2, ("confirmed", None)),  # no limit: those waiting are promoted too
        (10, 9, 0, ("confirmed", None)),
        (10, 10, 0, ("waitlisted", 1)),
        (10, 10, 3, ("waitlisted", 4)),
        (10, 8, 1, ("confirmed", None)),  # 2 seats freed: one for the person waiting, one for us
        (10, 8, 2, ("waitlisted", 1)),  # 2 seats freed, both go to those waiting
        (10, 8, 5, ("waitlisted", 4)),
        (10, 12, 0, ("waitlisted", 1)),  # capacity lowered below the seats already given
    ],
)
def test_the_place_a_newcomer_gets(limit, confirmed, waiting, place):
    assert services.place_for_newcomer(limit, confirmed, waiting) == place


def test_register_reports_each_place_as_the_database_holds_it(event, platform):
    session, roomy = SessionFactory(event=event, capacity=1), SessionFactory(event=event, capacity=None)
    places = [
        services.register(event, details=details_for(f"p{number}@example.org"), platforms=[platform], sessions=[session, roomy])[2]
        for number in range(3)
    ]
    assert [place[session.pk] for place in places] == [("confirmed", None), ("waitlisted", 1), ("waitlisted", 2)]
    assert all(place[roomy.pk] == ("confirmed", None) for place in places)
    assert positions(session) == {"p1@example.org": 1, "p2@example.org": 2}


def test_what_an_already_registered_address_is_shown_is_what_a_newcomer_then_gets(event, platform):
    """The result page of an address already registered shows projected_places(): it must be
    exactly what a real newcomer would have been given at that moment, or it would tell."""
    session = SessionFactory(event=event, capacity=2)
    services.register(event, details=details_for("owner@example.org"), platforms=[platform], sessions=[session])

    def shown_then_got(email):
        _, created, shown = services.register(
            event, details=details_for("owner@example.org"), platforms=[platform], sessions=[session]
        )
        _, _, got = services.register(event, details=details_for(email), platforms=[platform], sessions=[session])
        assert not created
        return shown, got

    for email in ["a@example.org", "b@example.org", "c@example.org"]:  # a seat, then the waitlist
        shown, got = shown_then_got(email)
        assert shown == got
    Session.objects.filter(pk=session.pk).update(capacity=4)  # seats freed behind our back
    shown, got = shown_then_got("d@example.org")
    assert shown == got == {session.pk: ("waitlisted", 1)}  # b and c take the freed seats; d is next in line

