"""Networking in Chromium: two participants of different platforms and regions find each
other, one asks, the other accepts with the keyboard, both see where and when; and every
networking page is valid HTML, free of axe violations and fits a phone, in three languages."""
import re

import pytest
from django.test import Client

from networking import services
from tests.browser.checks import axe_problems, html_problems, keep_html
from tests.factories import BookingFactory, SessionFactory, staff_user
from tests.networking_factories import agri_food, at, energy, networking_event, person, slot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pair():
    event = networking_event()
    ane = person(event, first_name="Ane", last_name="Agirre", organisation="Basque Food Cluster",
                 platforms=[agri_food()], country="ES", region="ES21",
                 profile={"looking_for": "Smart grids for cold storage"})
    ben = person(event, first_name="Benoît", last_name="Brun", organisation="Lyon Énergie",
                 platforms=[energy()], country="FR", region="FRK2",
                 profile={"offers": "Smart grids and storage pilots", "about": "Grid operator."})
    # Ben has a seat in a session at 10:00: the 10:00 slot is skipped.
    session = SessionFactory(event=event, title="Energy Platform meeting", starts_at=at(10), ends_at=at(11))
    BookingFactory(registration=ben.registration, session=session)
    slot(event, at(10, 15), at(10, 35))
    later = slot(event, at(11, 15), at(11, 35))
    return event, ane, ben, later


def private(live_server, profile, path=""):
    registration = profile.registration
    return f"{live_server.url}/{registration.event.slug}/registration/{registration.token}/{path}"


def test_one_finds_the_other_asks_the_other_accepts_and_both_see_table_and_time(page, live_server, pair):
    event, ane, ben, later = pair
    page.goto(private(live_server, ane, "people/"))
    suggestion = page.locator("#suggestions li").first
    assert "Benoît Brun" in suggestion.inner_text() and "Energy and your Agri-Food" in suggestion.inner_text()
    page.get_by_label("Words").fill("grids")
    page.get_by_role("button", name="Search").click()
    page.locator("#people").get_by_role("link", name=re.compile("See the profile")).click()
    assert page.locator("h1").inner_text() == "Benoît Brun"
    assert ben.registration.email not in page.content()
    page.get_by_label("Your message").fill("Cold storage needs smart grids: shall we talk?")
    page.get_by_role("button", name="Ask for a meeting").click()
    page.wait_for_url(re.compile(r"/meetings/$"))
    assert "Benoît Brun" in page.locator("#sent").inner_text()

    page.goto(private(live_server, ben, "meetings/"))
    assert "Cold storage needs smart grids" in page.locator("#received").inner_text()
    accept = page.locator("#received").get_by_role("button", name=re.compile("^Accept"))
    for _ in range(60):  # with the keyboard alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.startsWith('Accept')"):
            break
    else:
        raise AssertionError("Tab never reached Accept")
    assert accept.count() == 1
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Meeting accepted: table 1" in page.locator("main").inner_text()

    for profile, other in [(ben, "Ane Agirre"), (ane, "Benoît Brun")]:
        page.goto(private(live_server, profile, "meetings/"))
        meeting = page.locator("#accepted").inner_text()
        assert other in meeting and "table 1" in meeting and "11:15" in meeting and later.room.name in meeting
        page.goto(private(live_server, profile))
        summary = page.locator("#networking").inner_text()
        assert other.split()[0] in summary and "11:15" in summary and "table 1" in summary


@pytest.mark.parametrize("language", ["en", "es", "eu"])
def test_networking_pages_are_valid_accessible_and_fit_a_phone(browser, live_server, pair, tmp_path, language):
    event, ane, ben, _later = pair
    meeting = services.request_meeting(ane, ben, "Hello")
    services.accept(meeting)
    services.request_meeting(person(event, first_name="Carla"), ane, "Hi")
    staff = Client()
    staff.force_login(staff_user("Registration staff", "door"))
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True, locale=language)
    context.add_cookies([{"name": "sessionid", "value": staff.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    pages = {
        "profile": private(live_server, ane, "profile/"),
        "people": private(live_server, ane, "people/"),
        "people filtered": private(live_server, ane, "people/?platform=nope&q=grids"),
        "person": private(live_server, ane, f"people/{ben.pk}/"),
        "meetings": private(live_server, ane, "meetings/"),
        "private page": private(live_server, ane),
        "public list": f"{live_server.url}/{event.slug}/participants/",
        "staff meetings": f"{live_server.url}/{event.slug}/staff/meetings/",
        "sign-up form": f"{live_server.url}/{event.slug}/register/",
    }
    problems, sources = [], {}
    for name, address in pages.items():
        html = page.goto(address).text()
        if f'<html lang="{language}"' not in html:
            problems.append(f"{name}: not in {language}")
        keep_html(sources, tmp_path, name, html)
        problems += axe_problems(page, name)
        if page.evaluate("document.documentElement.scrollWidth - window.innerWidth") > 0:
            problems.append(f"{name}: wider than 360 px")
    context.close()
    problems += html_problems(sources)
    assert problems == [], "\n".join(problems)
