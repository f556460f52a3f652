"""The per-session staff page: a session's people in order, and what staff do with them (give a
seat to someone waiting, move someone, cancel someone's place), each with its email."""
import pytest
from django.core import mail

from agenda.models import Session
from registrations import services
from registrations.models import Booking
from tests.factories import details_for, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(seeded):
    """The energy meeting with 1 seat: ana has it, ben and cai wait (in that order)."""
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 1
    energy.save()
    people = {name: services.register(seeded, details=details_for(f"{name}@example.org", first_name=name.title()),
                                      platforms=[energy.platform], sessions=[energy])[0]
              for name in ("ana", "ben", "cai")}
    return energy, people


@pytest.fixture
def staff(client):
    client.force_login(staff_user("Registration staff", "door"))
    return client


def url(session):
    return f"/{session.event.slug}/staff/sessions/{session.slug}/"


def booking_of(person, session):
    return Booking.objects.get(registration=person, session=session)


def test_the_page_lists_seats_then_the_waitlist_in_order(staff, full):
    energy, people = full
    page = staff.get(url(energy)).content.decode()
    assert page.index("Ana") < page.index("Ben") < page.index("Cai")
    assert "Waitlist, position 1" in page and "Waitlist, position 2" in page
    assert "1 confirmed, 0 held, 2 waiting" in page


def test_giving_a_seat_to_the_second_in_line_adds_one_seat_and_tells_them(staff, full, django_capture_on_commit_callbacks):
    energy, people = full
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url(energy), {"action": "give", "booking": booking_of(people["cai"], energy).pk}, follow=True)
    assert "Cai Tester has a seat now; the session got one seat more for it." in response.content.decode()
    assert booking_of(people["cai"], energy).status == "confirmed"
    assert booking_of(people["ben"], energy).status == "waitlisted"
    assert Session.objects.get(pk=energy.pk).capacity == 2
    assert [m.to for m in mail.outbox] == [["cai@example.org"]] and "a seat is yours" in mail.outbox[0].subject


def test_moving_someone_frees_their_seat_for_the_first_in_line_and_tells_them(staff, seeded, full,
                                                                            django_capture_on_commit_callbacks):
    energy, people = full
    agri = seeded.sessions.get(slug="agri-food-meeting")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url(energy), {"action": "move", "booking": booking_of(people["ana"], energy).pk,
                                            "to": agri.pk}, follow=True)
    assert "Ana Tester moved to “Agri-Food Platform meeting”." in response.content.decode()
    assert booking_of(people["ana"], energy).status == "cancelled" and booking_of(people["ana"], agri).status == "confirmed"
    assert booking_of(people["ben"], energy).status == "confirmed"  # the freed seat went to the first in line
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ben@example.org"]


def test_cancelling_someones_place_promotes_the_next(staff, full, django_capture_on_commit_callbacks):
    energy, people = full
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url(energy), {"action": "cancel", "booking": booking_of(people["ana"], energy).pk})
    assert booking_of(people["ana"], energy).status == "cancelled"
    assert booking_of(people["ben"], energy).status == "confirmed"


@pytest.mark.parametrize("data", [{"action": "give", "booking": "x"}, {"action": "give", "booking": "²"}, {"action": "move", "booking": "99999999"},
                                  {"action": "move"}, {}])
def test_bad_posts_are_a_clean_404(staff, full, data):
    energy, _people = full
    assert staff.post(url(energy), data).status_code == 404


def test_only_staff_who_change_registrations_see_the_page(client, full):
    energy, _people = full
    client.force_login(staff_user("Organisers", "organiser"))
    assert client.get(url(energy)).status_code == 403


def test_a_place_that_changed_meanwhile_is_left_alone(staff, full):
    energy, people = full
    booking = booking_of(people["ben"], energy)
    services.cancel_booking(booking)
    Booking.objects.filter(pk=booking.pk).delete()  # as a new sign-up of ben's would (book())
    assert services.give_seat(booking) == (None, False)
    assert services.cancel_booking(booking) == booking  # nothing to do, no error
