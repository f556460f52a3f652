"""Every public page, in English, Spanish and Basque: valid HTML (Nu Html Checker), no axe-core
violation of WCAG 2.1 A and AA, usable with the keyboard alone, and no horizontal scrolling on a
360 px wide phone.

axe-core and the Nu checker (vnu-jar) come from npm (package.json; `make install-dev`)."""
import os
import re
import urllib.error
import urllib.request

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from registrations import services
from registrations.models import Registration
from tests.browser.checks import AXE, VNU, axe_problems, html_problems, keep_html
from tests.factories import details_for


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pages(live_server, seeded):
    """(name, URL or rendered HTML) of every public page, with a registration to show."""
    energy = seeded.sessions.get(slug="energy-meeting")
    # An organisation typed as one 200-letter word must wrap, not widen the page.
    details = {"first_name": "Zoë", "last_name": "Ñúñez", "email": "zoe@example.org", "organisation": "Región" * 33 + "MU",
               "country": "ES", "region": "ES62", "stakeholder_type": "public_authority"}
    registration, *_ = services.register(seeded, details=details, platforms=[energy.platform], sessions=[energy])
    booking = registration.bookings.get()
    base = f"{live_server.url}/{seeded.slug}"
    joint = seeded.sessions.get(slug="joint-conference")
    energy.capacity = 1  # zoe has the seat: the thanks page shows a seat and a waitlist place
    energy.save()
    thanks = Client()
    thanks.post(f"/{seeded.slug}/register/", {**details, "email": "other@example.org", "platforms": [energy.platform_id],
                                              "sessions": [energy.pk, joint.pk], "consent": "on"})
    assert "Waitlist, position 1" in thanks.get(f"/{seeded.slug}/register/thanks/").content.decode()
    # Someone who asked for a new address, someone yet to confirm theirs, someone invited.
    services.update_details(registration, details={}, platforms=[energy.platform], partnerships=[], listed=False,
                            answers={}, email="zoe.new@example.org")
    registration.refresh_from_db()
    vera, *_ = services.register(seeded, details={**details, "email": "vera@example.org"}, platforms=[energy.platform],
                                 sessions=[])
    Registration.objects.filter(pk=vera.pk).update(status="unverified", verification_key="v" * 43)
    invitation, _created = services.invite(seeded, "Iker Invited", "iker@example.org")
    return {
        "event home": f"{base}/",
        "agenda": f"{base}/agenda/",
        "agenda filtered": f"{base}/agenda/?platform=energy&day=2018-11-28",
        "session": f"{base}/agenda/joint-conference/",
        "register": f"{base}/register/",
        "register with errors": ("POST", f"{base}/register/"),
        "thanks": ("COOKIE", f"{base}/register/thanks/", thanks.cookies),
        "link request": f"{base}/register/link/",
        "privacy": f"{base}/privacy/",
        "private page": f"{base}/registration/{registration.token}/",
        "cancel a session": f"{base}/registration/{registration.token}/cancel/{booking.pk}/",
        "cancel everything": f"{base}/registration/{registration.token}/cancel/",
        "details": f"{base}/registration/{registration.token}/details/",
        "confirm a new address": f"{base}/confirm-email/{registration.new_email_key}/",
        "confirm the address": f"{base}/verify/{'v' * 43}/",
        "invitation": f"{live_server.url}{invitation.get_absolute_url()}",
        "decline an invitation": f"{live_server.url}{invitation.get_absolute_url()}decline/",
        "by invitation only": ("HTML", "registrations/by_invitation.html", {"event": seeded}),
        "404": f"{base}/no-such-page/",
        "403": ("HTML", "403.html", {"event": seeded}),
        "403 csrf": ("HTML", "403_csrf.html", {"event": seeded}),
        "429": ("HTML", "429.html", {"event": seeded}),
        "500": ("HTML", "500.html", {}),
    }


def open_page(page, live_server, target, language):
    """Loads a page into Chromium (whose Accept-Language asks for `language`); returns its HTML
    source as the server sent it."""
    if isinstance(target, str):
        response = page.goto(target)
        return response.text()
    kind = target[0]
    if kind == "HTML":
        with translation.override(language):
            html = render_to_string(target[1], target[2])
        page.goto(live_server.url + "/healthz")  # same origin, so /static/ resolves
        page.set_content(html)
        return html
    if kind == "COOKIE":
        for morsel in target[2].values():
            page.context.add_cookies([{"name": morsel.key, "value": morsel.value, "url": target[1]}])
        return page.goto(target[1]).text()
    # POST: the form sent empty, as a person pressing Register at once would.
    page.goto(target[1])
    page.locator("main [type=submit]").click()
    page.wait_for_load_state()
    return page.content()


@pytest.mark.parametrize("language", ["en", "es", "eu"])
def test_every_public_page_is_valid_accessible_and_fits_a_phone(browser, live_server, pages, tmp_path, language):
    assert os.path.exists(AXE) and os.path.exists(VNU), "run `make install-dev` (npm install) first"
    # bypass_csp: the test injects axe-core as a script, which our own CSP rightly forbids.
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True, locale=language)
    page = context.new_page()
    problems, sources = [], {}
    for name, target in pages.items():
        html = open_page(page, live_server, target, language)
        if f'<html lang="{language}"' not in html:
            problems.append(f"{name}: not in {language} (<html lang> says otherwise)")
        keep_html(sources, tmp_path, name, html)
        problems += axe_problems(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{name}: {overflow} px wider than a 360 px screen")
    context.close()

    problems += html_problems(sources)
    assert problems == [], "\n".join(problems)


def test_the_sign_up_form_works_with_the_keyboard_alone(page, live_server, seeded):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/{seeded.slug}/register/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    def tab_to(selector, limit=80):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    typed = [
        ("#id_first_name", "Ane"),
        ("#id_last_name", "Etxeberria"),
        ("#id_email", "ane.keyboard@example.eus"),
        ("#id_organisation", "Basque Government"),
        ("#id_country", "Spain"),  # typing into a focused <select> picks the option
        ("#id_region", "País Vasco"),
    ]
    for selector, text in typed:
        tab_to(selector)
        page.keyboard.type(text)
    for ticked in ["input[name=stakeholder_type]", "input[name=platforms]", "input[name=sessions]", "#id_consent"]:
        tab_to(ticked)
        page.keyboard.press("Space")
    tab_to("input[type=submit], button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/register/thanks/$"))
    assert "Thank you, Ane" in page.locator("main").inner_text()


def test_after_a_failed_submit_focus_is_on_the_first_field_to_fix(page, live_server, seeded):
    page.goto(f"{live_server.url}/{seeded.slug}/register/")
    page.get_by_label(re.compile(r"^\s*First name")).fill("Ane")
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    focused = page.evaluate("[document.activeElement.id, document.activeElement.getAttribute('aria-describedby')]")
    assert focused == ["id_last_name", "id_last_name_error"]
    assert page.locator("#id_last_name_error").inner_text() == "This field is required."


def test_pages_fetch_nothing_from_other_sites(page, live_server, seeded):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ("/", "/agenda/", "/register/"):
        page.goto(f"{live_server.url}/{seeded.slug}{path}")
    assert requested and all(url.startswith(live_server.url) for url in requested), requested


def test_error_pages_come_in_the_sites_look(live_server, seeded):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{live_server.url}/{seeded.slug}/no-such-page/")
    html = raised.value.read().decode()
    assert raised.value.code == 404 and "Page not found" in html and "bootstrap.min.css" in html


def test_staff_pages_are_valid_accessible_and_fit_a_phone(browser, live_server, seeded, tmp_path):
    from tests.factories import staff_user

    client = Client()
    client.force_login(staff_user("Registration staff", "door"))
    registration, *_ = services.register(
        seeded, details=details_for("ane@example.org"),
        platforms=[seeded.sessions.get(slug="energy-meeting").platform], sessions=[seeded.sessions.get(slug="energy-meeting")])
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    problems, sources = [], {}
    for path in ("staff/", f"staff/checkin/?q={registration.checkin_code}",
                 f"staff/checkin/?session=energy-meeting&q={registration.checkin_code}",
                 "staff/sessions/energy-meeting/", "staff/sessions/energy-meeting/sign-in/"):
        response = page.goto(f"{live_server.url}/{seeded.slug}/{path}")
        keep_html(sources, tmp_path, path, response.text())
        problems += axe_problems(page, path)
        # The sign-in sheet is made for A4 paper, not for phones.
        if "sign-in" not in path and page.evaluate("document.documentElement.scrollWidth - window.innerWidth") > 0:
            problems.append(f"{path}: wider than 360 px")
    context.close()
    problems += html_problems(sources)
    assert problems == [], "\n".join(problems)
