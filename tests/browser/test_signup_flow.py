"""A participant signs up in Chromium, opens their private link, cancels a session, and the
first person on that session's waitlist gets the seat."""
import re

import pytest
from django.core import mail

from registrations import services
from registrations.models import Booking, OutgoingEmail
from tests.factories import details_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_open_private_link_cancel_and_the_waitlist_moves_up(page, live_server, seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 1
    energy.save()

    page.goto(f"{live_server.url}/{seeded.slug}/register/")
    page.get_by_label(re.compile(r"^\s*First name")).fill("Ane")
    page.get_by_label(re.compile(r"^\s*Last name")).fill("Etxeberria")
    page.get_by_label(re.compile(r"^\s*Email address")).fill("ane@example.eus")
    page.get_by_label(re.compile(r"^\s*Organisation")).fill("Basque Government")
    page.get_by_label(re.compile(r"^\s*Country")).select_option(label="Spain")
    page.get_by_label(re.compile(r"^\s*Region")).select_option(label="País Vasco")
    page.get_by_label("Public authority or policy-maker").check()
    page.get_by_label("Energy", exact=True).check()
    page.get_by_label(re.compile("Joint Thematic Platforms Conference")).check()
    page.get_by_label(re.compile("Energy Platform meeting")).check()
    page.get_by_label(re.compile("I agree that the organisers process my personal data")).check()
    page.get_by_role("button", name="Register").click()

    page.wait_for_url(re.compile(r"/register/thanks/$"))
    result = page.locator("main").inner_text()
    assert "Thank you, Ane" in result and "ane@example.eus" in result
    seats = page.locator("#confirmed-sessions li").all_inner_texts()
    assert len(seats) == 2 and all("Seat confirmed" in seat for seat in seats)
    assert any("Energy Platform meeting" in seat for seat in seats) and not page.locator("#waitlisted-sessions").count()

    # Someone else arrives after Ane: the energy meeting is full, so they wait.
    ben, *_ = services.register(seeded, details=details_for("ben@example.org"), platforms=[energy.platform], sessions=[energy])
    assert ben.bookings.get().status == "waitlisted"

    confirmation = next(message for message in mail.outbox if message.to == ["ane@example.eus"])
    private_link = re.search(r"http://\S+/registration/[\w-]+/", confirmation.body).group(0)
    page.goto(live_server.url + private_link[private_link.index("/", len("http://")):])
    bookings = page.locator("#bookings").inner_text()
    assert "Energy Platform meeting" in bookings and "Confirmed" in bookings

    page.get_by_role("link", name=re.compile(r"Cancel this session\W+Energy Platform meeting")).click()
    page.get_by_role("button", name="Yes, cancel this session").click()
    assert "You have given up your place" in page.locator("main").inner_text()
    assert "Energy Platform meeting" not in page.locator("#bookings").inner_text()

    assert ben.bookings.get().status == Booking.Status.CONFIRMED
    assert OutgoingEmail.objects.filter(registration=ben, kind="promotion", status="sent").count() == 1
    assert any(message.to == ["ben@example.org"] and "a seat is yours" in message.subject for message in mail.outbox)
