"""The staff page's charts and the organisers' admin lists, as a browser draws them.

On a 360 px phone the staff page and a session's sign-in sheet have no axe-core violation of WCAG
2.1 A and AA and valid HTML (Nu Html Checker); every bar of the staff page shows its label and
its value, on the screen and in print. At 1280 x 800, in English, Spanish and Basque, the
admin's change lists with counts fit without scrolling sideways (the page, and the box the admin
scrolls the list in) and their count columns are in view, with long names and organisations in
them."""
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from agenda.models import Session
from registrations import services
from registrations.models import Booking, Mailing, OutgoingEmail, Registration
from tests.browser.checks import axe_problems, html_problems, keep_html
from tests.factories import details_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}

# As people type them: a name and an organisation without a space to break at (as long as the
# model allows), and the long, spaced names organisations and sessions often have.
LONG_WORD_ORGANISATION = ("Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft" * 3)[:200]
LONG_NAME = ("Wolfeschlegelsteinhausenbergerdorff" * 3)[:100]
LONG_ORGANISATION = ("Agencia Vasca de la Innovación - Berrikuntzaren Euskal Agentzia, Departamento de Desarrollo "
                     "Económico, Sostenibilidad y Medio Ambiente del Gobierno Vasco")
LONG_SESSION = ("Joint session of the Agri-Food, Energy and Industrial Modernisation platforms on interregional "
                "investment pipelines, demonstrators and the next programming period")


def register(event, email, sessions, platforms, **details):
    registration, *_ = services.register(event, details=details_for(email, **details), platforms=platforms,
                                         sessions=sessions)
    return registration


@pytest.fixture
def crowd(seeded):
    return make_crowd(seeded)


def make_crowd(seeded):
    """Sixty-six people from twelve countries, most with a long organisation, two with long
    one-word names or organisations; five cancelled, three awaiting approval (their seats held),
    one yet to confirm their address; one session with a long title."""
    sessions = {session.slug: session for session in seeded.sessions.filter(registrable=True)}
    energy, agri = sessions["energy-meeting"], sessions["agri-food-meeting"]
    energy.capacity = 25
    energy.save()
    sessions["joint-conference"].title = LONG_SESSION
    sessions["joint-conference"].save()
    platforms = [energy.platform, agri.platform, sessions["industrial-modernisation-meeting"].platform]
    places = [("ES", "ES21"), ("ES", "ES22"), ("FR", "FRI1"), ("IT", "ITH5"), ("DE", "DE21"), ("PT", "PT11"),
              ("PL", "PL21"), ("SE", "SE11"), ("NL", "NL32"), ("IE", "IE06"), ("BE", "BE10"), ("AT", "AT13")]
    kinds = [kind for kind, _label in Registration.StakeholderType.choices]
    people = []
    for number in range(60):
        country, region = places[number % len(places)]
        people.append(register(
            seeded, f"person{number}@example.org", [energy if number % 2 else agri, sessions["joint-conference"]],
            platforms[: 1 + number % 3], first_name=f"Person{number}", last_name=f"Surname{number}",
            organisation=LONG_ORGANISATION, country=country, region=region,
            stakeholder_type=kinds[number % len(kinds)]))
    register(seeded, f"{LONG_NAME.lower()[:40]}@example.org", [energy], platforms, first_name=LONG_NAME,
             last_name=LONG_NAME, organisation=LONG_WORD_ORGANISATION)
    register(seeded, "other@example.org", [agri], platforms[:1], organisation=LONG_WORD_ORGANISATION, country="CH",
             region="", region_other="Zürich")
    for registration in people[:5]:
        services.cancel(registration)
    seeded.requires_approval = True
    seeded.save()
    for number in range(3):
        register(seeded, f"waiting{number}@example.org", [agri], platforms[:1])
    seeded.requires_approval, seeded.verify_email = False, True
    seeded.save()
    register(seeded, "unconfirmed@example.org", [agri], platforms[:1])
    assert Booking.objects.filter(status=Booking.Status.HELD).count() == 4
    return seeded


@pytest.fixture
def staff_cookie(live_server):
    def cookie(user):
        client = Client()
        client.force_login(user)
        return [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    return cookie


# Every chart row: its label, value and bar as drawn, and whether each is visible and inside
# the screen's width.
CHART_ROWS = """() => [...document.querySelectorAll('section.chart tbody tr')].map(row => {
  const [label, value, bar] = row.cells;
  // Its text drawn at a character's size or more, inside the screen, and on top where it is
  // drawn (text clipped away for screen readers only is not: the cell is hit there instead).
  const seen = cell => {
    cell.scrollIntoView({block: 'center', behavior: 'instant'});  // not Bootstrap's smooth scrolling
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let drawn = 0;
    for (let node; (node = walker.nextNode());) {
      if (!node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const line of range.getClientRects()) {
        const hit = document.elementFromPoint(line.left + line.width / 2, line.top + line.height / 2);
        if (line.width < 4 || line.height < 8 || line.left < 0 || line.right > document.documentElement.clientWidth
            || !hit || !(hit === node.parentElement || node.parentElement.contains(hit))) return false;
        drawn += 1;
      }
    }
    return drawn > 0 && cell.checkVisibility({visibilityProperty: true, opacityProperty: true});
  };
  const rect = bar.querySelector('rect');
  return {label: label.innerText.trim(), value: value.innerText.trim(), labelSeen: seen(label), valueSeen: seen(value),
          bar: rect ? rect.getBoundingClientRect().width : null, full: bar.getBoundingClientRect().width};
})"""


def chart_problems(page):
    """Every bar of the page's charts with its label and value in view, on the screen and in print."""
    problems = []
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        rows = page.evaluate(CHART_ROWS)
        assert len(rows) == 3 + 5 + 12 + 13 + 4 + 1, rows  # platforms, kinds, countries, regions, sessions, a day
        for row in rows:
            if not (row["labelSeen"] and row["valueSeen"]):
                problems.append(f"{media}: a chart row without its label or value in view: {row}")
            number = int(re.match(r"\d+", row["value"]).group())
            if row["bar"] is not None and number and not 0 < row["bar"] <= row["full"]:
                problems.append(f"{media}: the bar of {row['label']} ({row['value']}) is not drawn: {row}")
    page.emulate_media(media="screen")
    return problems


def test_the_staff_page_and_the_sign_in_sheet_on_a_phone(browser, live_server, crowd, staff_cookie, tmp_path):
    from tests.factories import staff_user

    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # bypass_csp: the test injects axe-core
    context.add_cookies(staff_cookie(staff_user("Registration staff", "door")))
    page = context.new_page()
    problems, sources = [], {}
    for name, path in (("staff page", "staff/"), ("sign-in sheet", "staff/sessions/energy-meeting/sign-in/")):
        response = page.goto(f"{live_server.url}/{crowd.slug}/{path}")
        assert response.ok, f"{path}: {response.status}"
        keep_html(sources, tmp_path, name, response.text())
        if name == "staff page":
            problems += chart_problems(page)
            if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
                problems.append(f"{name}: wider than a {PHONE['width']} px phone")
        problems += axe_problems(page, name)
    context.close()

    problems += html_problems(sources)
    assert problems == [], "\n".join(problems)


# Each change list, and the header of the column with its counts (Django names it
# column-<field>), which must be in view.
CHANGE_LISTS = {
    "registration/": "registrations", "session/": "agenda", "room/": "agenda", "platform/": "agenda",
    "outgoingemail/": "registrations", "mailing/": "registrations", "invitation/": "registrations",
}
COUNT_COLUMNS = {
    "registration/": ["seats"], "session/": ["confirmed", "held", "waitlisted", "seats_left"],
    "room/": ["capacity", "session_count"], "platform/": ["partnership_count"], "outgoingemail/": ["attempts"],
    "mailing/": ["recipients", "delivery"], "invitation/": ["status", "registration"],
}

# The admin draws the list in a box that scrolls sideways (.results) when the table is wider:
# the page itself then stays 1280 px wide, so both are measured, and a count cell must be
# inside the box's visible part too.
MEASURE_LIST = """columns => {
  const box = document.querySelector('#changelist .results');
  const right = Math.min(document.documentElement.clientWidth, box.getBoundingClientRect().right);
  const outside = [];
  for (const column of columns) {
    const cells = [...document.querySelectorAll(`#result_list .column-${column}, #result_list td.field-${column}`)];
    if (!cells.length) outside.push(`${column}: no such column`);
    for (const cell of cells) {
      const place = cell.getBoundingClientRect();
      if (place.left < 0 || place.right > right + 0.5 || place.width === 0) {
        outside.push(`${column}: ${place.left}-${place.right} (visible up to ${right})`);
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, listWidth: box.scrollWidth, listBox: box.clientWidth,
          rows: document.querySelectorAll('#result_list tbody tr').length, outside: outside.slice(0, 3)};
}"""


@pytest.mark.parametrize("language", ["en", "es", "eu"])  # the column headings' length differs
def test_the_admin_change_lists_fit_1280_px_with_their_counts_in_view(browser, live_server, crowd, staff_cookie,
                                                                      language):
    OutgoingEmail.objects.filter(pk__in=OutgoingEmail.objects.values("pk")[:3]).update(
        status=OutgoingEmail.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected: Connection unexpectedly "
        "closed while the relay at smtp.example.eu was answering the third attempt of the day")
    assert Session.objects.filter(title=LONG_SESSION).exists()
    event = Session.objects.get(title=LONG_SESSION).event
    services.invite(event, LONG_NAME, f"{LONG_NAME.lower()[:60]}@{'ministry-of-regional-development.example'}")
    services.invite(event, "Ane Invited", "ane.invited@example.org")
    mailing = Mailing.objects.create(event=event, subject=f"Practical information for {LONG_SESSION}", body="Hello")
    services.send_mailing(mailing)
    Mailing.objects.create(event=event, subject="Draft: " + LONG_SESSION, body="Later")
    context = browser.new_context(viewport=DESKTOP, locale=language)
    context.add_cookies(staff_cookie(User.objects.create_superuser("boss", "boss@example.org", "pw")))
    page = context.new_page()
    problems = []
    for path, app in CHANGE_LISTS.items():
        response = page.goto(f"{live_server.url}/admin/{app}/{path}")
        assert response.ok, f"{path}: {response.status}"
        assert page.evaluate("document.documentElement.lang") == language
        found = page.evaluate(MEASURE_LIST, COUNT_COLUMNS[path])
        assert found["rows"] > 0, f"{path}: an empty list proves nothing"
        if found["scrollWidth"] > DESKTOP["width"]:
            problems.append(f"{path}: the page is {found['scrollWidth']} px wide")
        if found["listWidth"] > found["listBox"]:
            problems.append(f"{path}: the list is {found['listWidth']} px wide in a {found['listBox']} px box")
        problems += [f"{path}: not in view: {where}" for where in found["outside"]]
    context.close()
    assert problems == [], "\n".join(problems)
