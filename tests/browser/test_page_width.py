"""Long unbroken words wrap on every page and in print: no page is wider than the screen.

People type their name or organisation as one long word (a compound, a name without spaces, an
email address), and organisers give sessions, rooms and speakers long names. Each such word, as
long as its field allows, must wrap inside a 390 px phone screen and inside an A4 page (794 px,
printed), not push the page sideways."""
import re

import pytest
from django.test import Client

from agenda.models import Speaker
from registrations.models import Registration
from tests.factories import EventFactory, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def unbroken(stem, length):
    """`length` characters of `stem` repeated: one word, with no space or hyphen to break at."""
    word = (stem * (length // len(stem) + 1))[:length]
    assert len(word) == length and not re.search(r"[\s-]", word)
    return word


# As long as the models let them be (max_length): first and last name 100 (not 200), organisation
# 200, a region NUTS does not list 120, session title 200, room 120, speaker name, role and
# organisation 200, partnership 200, event name 200, the data controller 300, and email addresses
# (64 characters before the @, 63 in a part of the domain). No hyphen: a browser breaks after one.
FIRST_NAME = unbroken("Wolfeschlegelsteinhausenbergerdorff", 100)
LAST_NAME = unbroken("Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch", 100)
ORGANISATION = unbroken("Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft", 200)
REGION = unbroken("Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu", 120)
DOMAIN = unbroken("donaudampfschifffahrtsgesellschaftsverwaltungsabteilung", 63) + ".example.eu"
EMAIL = unbroken("maximiliana.wolfeschlegelsteinhausenbergerdorff.", 63) + "x@" + DOMAIN
SESSION_TITLE = unbroken("Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz", 200)
ROOM = unbroken("Euskaldunajauregiarenbiltzararetoa", 120)
SPEAKER = unbroken("Hubertblainewolfeschlegelsteinhausenbergerdorffsenior", 200)
SPEAKER_ROLE = unbroken("Generaldirektionsstellvertretungsbeauftragte", 200)
SPEAKER_ORGANISATION = unbroken("Kraftfahrzeughaftpflichtversicherungsgesellschaft", 200)
PARTNERSHIP = unbroken("Energieeffizienzsteigerungspartnerschaftsvereinbarung", 200)
EVENT_NAME = unbroken("Intelligentespezialisierungsplattformtage", 200)
NEW_EMAIL = unbroken("maximiliana.llanfairpwllgwyngyllgogerychwyrndrobwllllantysilio.", 63) + "x@" + DOMAIN
CONTROLLER = unbroken("GemeinsameforschungsstelleDirektionWachstumundInnovation", 300)
CONTACT_EMAIL = (unbroken("s3platformdays.registrationhelpdesk.", 63) + "x@"
                 + unbroken("jointresearchcentredirectorategrowthinnovation", 62) + "x.europa.eu")
DPO_EMAIL = unbroken("dataprotectionofficer.", 63) + "x@" + unbroken("europeandataprotectionsupervisor", 63) + ".eu"

PHONE = {"width": 390, "height": 844}
A4 = {"width": 794, "height": 1123}  # A4 portrait at 96 px per inch

# Every page, with the long words it must show (the check covers any long word it shows).
FOOTER = [CONTACT_EMAIL]  # the organisers' address, at the foot of every page of the event
PAGES = {
    "event list": [EVENT_NAME],
    "event home": [SESSION_TITLE, *FOOTER],
    "agenda": [SESSION_TITLE, ROOM, SPEAKER, *FOOTER],
    "session": [SESSION_TITLE, ROOM, SPEAKER, SPEAKER_ROLE, SPEAKER_ORGANISATION, *FOOTER],
    "register": [SESSION_TITLE, ROOM, PARTNERSHIP, *FOOTER],
    "register with errors": [SESSION_TITLE, *FOOTER],
    "thanks": [FIRST_NAME, EMAIL, SESSION_TITLE, ROOM, *FOOTER],
    "link request": FOOTER,
    "link sent": [EMAIL, *FOOTER],
    "privacy": [CONTROLLER, DPO_EMAIL, *FOOTER],
    "private page": [FIRST_NAME, LAST_NAME, EMAIL, ORGANISATION, REGION, SESSION_TITLE, ROOM, *FOOTER],
    "details": [NEW_EMAIL, *FOOTER],  # the address waiting to be confirmed
    "confirm new email": FOOTER,
    "cancel a session": [SESSION_TITLE, *FOOTER],
    "cancel everything": FOOTER,
    "staff": [SESSION_TITLE, ROOM, *FOOTER],
    "check-in": [FIRST_NAME, LAST_NAME, EMAIL, ORGANISATION, SESSION_TITLE, *FOOTER],
    "sign-in sheet": [FIRST_NAME, LAST_NAME, ORGANISATION, SESSION_TITLE, ROOM],  # a page of its own
}

# The page's width, and where every visible word of 40 characters or more is drawn.
MEASURE = """() => {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const long = node.data.match(/\\S{40,}/g);
    const element = node.parentElement;
    // Text for screen readers only is clipped to 1 px: it is not drawn, and cannot widen the page.
    if (!long || !element.checkVisibility({visibilityProperty: true})
        || element.closest('.visually-hidden, .visually-hidden-focusable:not(:focus-within)')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(rect => rect.width > 0);
    if (!rects.length) continue;
    const box = element.getBoundingClientRect();
    words.push({
      words: long, element: element.tagName.toLowerCase() + (element.className ? '.' + element.className : ''),
      width: box.width, left: Math.min(box.left, ...rects.map(rect => rect.left)),
      right: Math.max(box.right, ...rects.map(rect => rect.right)),
    });
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, words};
}"""


@pytest.fixture
def site(live_server, seeded):
    """The 2018 event with a long word in every field a person or an organiser types, one person
    signed up with them, and what the pages below need to find them."""
    seeded.contact_email, seeded.dpo_email = CONTACT_EMAIL, DPO_EMAIL
    for language in ("en", "es", "eu"):
        setattr(seeded, f"controller_{language}", CONTROLLER)
    seeded.save()
    energy = seeded.sessions.get(slug="energy-meeting")
    for language in ("en", "es", "eu"):
        setattr(energy, f"title_{language}", SESSION_TITLE)
    energy.save()
    energy.room.name = ROOM
    energy.room.save()
    energy.speakers.add(Speaker.objects.create(name=SPEAKER, role=SPEAKER_ROLE, organisation=SPEAKER_ORGANISATION))
    partnership = energy.platform.partnerships.first()
    for language in ("en", "es", "eu"):
        setattr(partnership, f"name_{language}", PARTNERSHIP)
    partnership.save()
    # A second event, so that / lists the events instead of going straight to the only one.
    EventFactory(name=EVENT_NAME, name_en=EVENT_NAME, slug="long-name-days")

    # The person signs up through the form, as anyone would: the thanks page needs their cookie.
    signup = Client()
    details = {"first_name": FIRST_NAME, "last_name": LAST_NAME, "email": EMAIL, "organisation": ORGANISATION,
               "country": "ES", "region": "ES21", "stakeholder_type": "research"}
    response = signup.post(f"/{seeded.slug}/register/", {
        **details, "platforms": [energy.platform_id], "sessions": [energy.pk], "consent": "on"})
    assert response.status_code == 302 and response["Location"].endswith("/register/thanks/"), response.content[:2000]
    registration = Registration.objects.get(event=seeded, email=EMAIL)
    # Where NUTS does not reach, the participant writes their region in words; and they asked to
    # change their address (the details page says which one it waits for).
    Registration.objects.filter(pk=registration.pk).update(region="", region_other=REGION, new_email=NEW_EMAIL)
    assert [registration.first_name, registration.last_name, registration.organisation] == [
        FIRST_NAME, LAST_NAME, ORGANISATION]

    staff = Client()
    staff.force_login(staff_user("Registration staff", "door"))
    return {
        "live_server": live_server.url,
        "base": f"{live_server.url}/{seeded.slug}",
        "token": registration.token,
        "booking": registration.bookings.get(session=energy).pk,
        "energy": energy,
        "parallel": seeded.sessions.get(slug="agri-food-meeting"),
        "thanks cookies": signup.cookies,
        "staff cookies": staff.cookies,
    }


def open_page(page, name, site):
    base, token = site["base"], site["token"]

    def cookies(jar):
        page.context.add_cookies([{"name": morsel.key, "value": morsel.value, "url": site["live_server"]}
                                  for morsel in jar.values()])

    def go(url):
        response = page.goto(url)
        assert response.ok, f"{url}: {response.status}"

    if name == "register with errors":
        # The overlapping sessions' error repeats the long title; the fields keep the long words.
        go(f"{base}/register/")
        page.locator("#id_first_name").fill(FIRST_NAME)
        page.locator("#id_last_name").fill(LAST_NAME)
        page.locator("#id_organisation").fill(ORGANISATION)
        for session in (site["energy"], site["parallel"]):
            page.locator(f"input[name=sessions][value='{session.pk}']").check()
        page.locator("main [type=submit]").click()
        page.wait_for_load_state()
        assert page.locator(".invalid-feedback, .is-invalid").count(), "the form was not sent back with errors"
        return
    if name == "link sent":
        go(f"{base}/register/link/")
        page.locator("main input[name=email]").fill(EMAIL)
        page.locator("main [type=submit]").click()
        page.wait_for_load_state()
        return
    if name == "thanks":
        cookies(site["thanks cookies"])
    if name in ("staff", "check-in", "sign-in sheet"):
        cookies(site["staff cookies"])
    go({
        "event list": f"{site['live_server']}/",
        "event home": f"{base}/",
        "agenda": f"{base}/agenda/",
        "session": f"{base}/agenda/{site['energy'].slug}/",
        "register": f"{base}/register/",
        "thanks": f"{base}/register/thanks/",
        "link request": f"{base}/register/link/",
        "privacy": f"{base}/privacy/",
        "private page": f"{base}/registration/{token}/",
        "details": f"{base}/registration/{token}/details/",
        "confirm new email": f"{base}/confirm-email/{'K' * 43}/",  # the page with its button, whatever the key
        "cancel a session": f"{base}/registration/{token}/cancel/{site['booking']}/",
        "cancel everything": f"{base}/registration/{token}/cancel/",
        "staff": f"{base}/staff/",
        "check-in": f"{base}/staff/checkin/?q={LAST_NAME}",
        "sign-in sheet": f"{base}/staff/sessions/{site['energy'].slug}/sign-in/",
    }[name])


def too_wide(page, medium, shown):
    """What sticks out of the window, as sentences; `shown` the long words that must be on it."""
    measured = page.evaluate(MEASURE)
    limit = measured["innerWidth"] + 1  # a pixel for rounding
    problems = []
    if measured["scrollWidth"] > limit:
        problems.append(f"{medium}: the page is {measured['scrollWidth']} px wide in a {measured['innerWidth']} px window")
    for found in measured["words"]:
        if found["width"] > limit or found["left"] < -1 or found["right"] > limit:
            problems.append(f"{medium}: <{found['element']}> holding {found['words'][0][:30]}... spans "
                            f"{found['left']:.0f} to {found['right']:.0f} px (width {found['width']:.0f}) "
                            f"in a {measured['innerWidth']} px window")
    drawn = " ".join(word for found in measured["words"] for word in found["words"]).lower()
    problems += [f"{medium}: {word[:30]}... is not shown" for word in shown if word[:40].lower() not in drawn]
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_long_words_wrap_on_a_phone_and_on_paper(page, site, name):
    assert page.viewport_size == PHONE
    open_page(page, name, site)
    problems = too_wide(page, "phone", PAGES[name])
    page.set_viewport_size(A4)
    page.emulate_media(media="print")
    problems += too_wide(page, "print", PAGES[name])
    assert problems == [], f"{name} ({page.url}):\n" + "\n".join(problems)
