"""The staff page's numbers: the headline and every chart count the same people (active
registrations) but the seats chart, which counts seats taken as the table of sessions does;
every bar shows its label and its value; the page's queries do not grow with the crowd."""
import datetime
from collections import Counter

import lxml.html
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_countries import countries

from agenda.models import Platform
from registrations import services
from registrations.models import Booking, Registration
from tests.factories import BookingFactory, RegistrationFactory, details_for, staff_user

pytestmark = pytest.mark.django_db

ACTIVE = Registration.Status.ACTIVE
CHARTS = "//section[contains(concat(' ', @class, ' '), ' chart ')]"


@pytest.fixture
def staff_client(client):
    client.force_login(staff_user("Registration staff", "door"))
    return client


@pytest.fixture
def mixed(seeded):
    """Everyone a chart could count: active people in three countries (two writing one Swiss
    place outside NUTS in two spellings, one with no region at all), people cancelled, awaiting
    approval, yet to confirm their address, and rejected; on two days, cancelled ones too."""
    sessions = {session.slug: session for session in seeded.sessions.all()}
    energy, agri = sessions["energy-meeting"], sessions["agri-food-meeting"]
    energy.capacity = 4
    energy.save()

    def person(name, sessions, platforms, **details):
        registration, *_ = services.register(seeded, details=details_for(f"{name}@example.org", **details),
                                             platforms=platforms, sessions=sessions)
        return registration

    both = [energy.platform, agri.platform]
    person("ana", [energy], both, country="ES", region="ES21", stakeholder_type="research")
    person("ben", [energy], [energy.platform], country="ES", region="ES22", stakeholder_type="business")
    person("cai", [agri], [agri.platform], country="CH", region="", region_other="Zürich")
    person("dea", [agri, energy], both, country="CH", region="", region_other="  zürich ")
    person("eli", [agri], [agri.platform], country="FR", region="FRI1", stakeholder_type="civil_society")
    nowhere = person("fay", [agri], [agri.platform], country="FR", region="FRI1")
    Registration.objects.filter(pk=nowhere.pk).update(region="", region_other="")  # the admin allows it
    for name in ("gus", "hal"):
        services.cancel(person(name, [energy, agri], both, country="IT", region="ITH5"))
    seeded.requires_approval = True
    seeded.save()
    person("ivy", [energy], [energy.platform], country="DE", region="DE21")  # holds energy's last seat
    person("jon", [energy, agri], both, country="DE", region="DE21")  # agri held, energy waitlisted
    services.reject(person("kim", [agri], [agri.platform], country="PT", region="PT11"), "")
    seeded.requires_approval, seeded.verify_email = False, True
    seeded.save()
    person("lea", [agri], [agri.platform], country="AT", region="AT13")
    # Two days: Ana, and the cancelled Gus, signed up earlier, at 00:30 in Bilbao (22:30 UTC the day before).
    earlier = datetime.datetime(2018, 10, 1, 22, 30, tzinfo=datetime.timezone.utc)
    Registration.objects.filter(email__in=["ana@example.org", "gus@example.org"]).update(created_at=earlier)
    return seeded


def charts(html):
    """{title: {"caption", "key", "value", "rows": [(label, value text, bar width or None, tip)]}}
    as the page shows them."""
    found = {}
    for section in lxml.html.fromstring(html).xpath(CHARTS):
        rows = []
        for row in section.xpath(".//tbody/tr"):
            label, value, bar = row.xpath("./td")
            rect = bar.xpath(".//rect[title]")  # the grey track behind it has no title
            svg = bar.xpath(".//svg")
            assert not svg or svg[0].get("aria-hidden") == "true", "the table says it all: the bar is drawing only"
            rows.append((label.text_content().strip(), value.text_content().strip(),
                         float(rect[0].get("width")) if rect else None,
                         rect[0].findtext("title") if rect else None))
        headings = section.xpath(".//thead//th")
        found[section.xpath(".//h3")[0].text_content().strip()] = {
            "caption": section.xpath(".//caption")[0].text_content().strip(),
            "key": headings[0].text_content().strip(), "value": headings[1].text_content().strip(), "rows": rows,
        }
    return found


def headline(html):
    return " ".join(lxml.html.fromstring(html).get_element_by_id("reach").text_content().split())


def test_the_headline_and_every_chart_count_the_people_the_database_holds(staff_client, mixed):
    response = staff_client.get(f"/{mixed.slug}/staff/")
    html = response.content.decode()
    found = charts(html)
    active = Registration.objects.filter(event=mixed, status=ACTIVE)
    assert Registration.objects.filter(event=mixed).exclude(status=ACTIVE).count() == 6  # not counted anywhere
    people = active.count()
    places = set(active.exclude(region="").values_list("region", flat=True)) | {
        (country, place.strip().lower()) for country, place in
        active.filter(region="").exclude(region_other="").values_list("country", "region_other")}
    country_codes = set(active.values_list("country", flat=True))
    assert (people, len(places), len(country_codes)) == (6, 4, 3)
    assert headline(html) == f"{people} participants from {len(places)} regions in {len(country_codes)} countries."

    def values(title):
        return {label: int(value) for label, value, _width, _tip in found[title]["rows"]}

    by_platform = values("Registrations by platform")
    for platform in {platform for registration in active for platform in registration.platforms.all()}:
        assert by_platform[platform.name] == active.filter(platforms=platform).count()
    assert sum(by_platform.values()) == Registration.platforms.through.objects.filter(registration__in=active).count()
    kinds = values("Registrations by kind of stakeholder")
    assert kinds == {str(label): active.filter(stakeholder_type=kind).count()
                     for kind, label in Registration.StakeholderType.choices}
    assert values("Registrations by country") == {
        countries.name(code): active.filter(country=code).count() for code in country_codes}
    regions = values("Registrations by region")
    assert regions == {"País Vasco (ES21)": 1, "Comunidad Foral de Navarra (ES22)": 1, "Zürich (Switzerland)": 2,
                       "Aquitaine (FRI1)": 1, "No region given": 1}
    assert len(regions) - 1 == len(places)  # "No region given" is not a region
    days = Counter(f"{registration.created_at.astimezone(mixed.tz):%Y-%m-%d}" for registration in active)
    assert values("Registrations per day") == days and days["2018-10-02"] == 1  # Ana, not Gus
    for title in ("Registrations by kind of stakeholder", "Registrations by country", "Registrations by region",
                  "Registrations per day"):
        assert sum(values(title).values()) == people, title
        assert found[title]["value"] == "Active registrations" and found[title]["caption"].startswith(
            "Active registrations"), title
    assert found["Registrations by platform"]["caption"].startswith("Active registrations")

    # Seats: confirmed and held ones, as the table of sessions counts them, of each session's seats.
    seats = found["Seats taken, per session"]
    assert "confirmed" in seats["caption"] and "held" in seats["caption"] and seats["value"] == "Seats taken"
    by_session = {label: text for label, text, _width, _tip in seats["rows"]}
    for session in mixed.sessions.filter(registrable=True, cancelled_at__isnull=True):
        taken = Booking.objects.filter(session=session, status__in=Booking.TAKING_A_SEAT).count()
        limit = session.seat_limit
        assert by_session[session.title] == (f"{taken} of {limit}" if limit else f"{taken}, no limit")
    energy = mixed.sessions.get(slug="energy-meeting")
    assert by_session[energy.title] == "4 of 4"  # Ana, Ben, Dea confirmed; Ivy held; Jon waits
    assert Booking.objects.filter(session=energy, status=Booking.Status.HELD).count() == 1
    # A confirmed seat is an active registration's: the two populations meet.
    assert not Booking.objects.filter(status=Booking.Status.CONFIRMED).exclude(registration__status=ACTIVE).exists()


def test_every_bar_shows_its_label_and_value_and_its_length_follows_the_value(staff_client, mixed):
    response = staff_client.get(f"/{mixed.slug}/staff/")
    found = charts(response.content.decode())
    assert len(found) == 6
    for title, chart in found.items():
        assert chart["caption"] and chart["key"] and chart["value"] and chart["rows"], title
        if title == "Seats taken, per session":
            continue
        largest = max(int(value) for _label, value, _width, _tip in chart["rows"])
        for label, value, width, tip in chart["rows"]:
            assert label and value.isdigit(), (title, label, value)
            assert width == pytest.approx(100 * int(value) / largest, abs=0.05), (title, label)
            assert tip == f"{label}: {value}"
    for label, value, width, tip in found["Seats taken, per session"]["rows"]:
        taken, _of, seats = value.partition(" of ")
        assert label and taken.isdigit() and seats.isdigit(), (label, value)  # every seeded session has a limit
        assert width == pytest.approx(min(100 * int(taken) / int(seats), 100), abs=0.05)
        assert tip == f"{label}: {round(100 * int(taken) / int(seats))}%"


def test_platform_bars_wear_their_platforms_colour(staff_client, mixed):
    html = staff_client.get(f"/{mixed.slug}/staff/").content.decode()
    section = next(section for section in lxml.html.fromstring(html).xpath(CHARTS)
                   if section.xpath(".//h3")[0].text_content() == "Registrations by platform")
    colours = {row.xpath("./td")[0].text_content(): row.xpath(".//rect")[0].get("fill")
               for row in section.xpath(".//tbody/tr")}
    assert colours == {platform.name: platform.colour for platform in Platform.objects.all()}
    assert len(set(colours.values())) == 3  # the seed gives each its own


def test_the_staff_page_runs_the_same_queries_for_10_and_100_registrations(staff_client, seeded,
                                                                        django_assert_num_queries):
    session = seeded.sessions.get(slug="joint-conference")
    kinds = [kind for kind, _label in Registration.StakeholderType.choices]
    places = [("ES", "ES21", ""), ("FR", "FRI1", ""), ("CH", "", "Zürich"), ("NO", "", "Svalbard")]

    def add(start, count):
        for number in range(start, start + count):
            country, region, other = places[number % len(places)]
            registration = RegistrationFactory(event=seeded, country=country, region=region, region_other=other,
                                               stakeholder_type=kinds[number % len(kinds)],
                                               status=[ACTIVE, ACTIVE, "pending", "cancelled"][number % 4])
            BookingFactory(registration=registration, session=session,
                           status="held" if registration.status == "pending" else "confirmed")

    def page():
        cache.clear()  # the event is cached for a few seconds: both runs start without it
        response = staff_client.get(f"/{seeded.slug}/staff/")
        assert response.status_code == 200
        return response

    add(0, 10)
    with CaptureQueriesContext(connection) as ten:
        assert "6 participants" in headline(page().content.decode())
    add(10, 90)
    with django_assert_num_queries(len(ten.captured_queries)):
        assert "50 participants" in headline(page().content.decode())


def test_a_session_without_a_seat_limit_shows_its_seats_taken_and_no_bar(staff_client, mixed):
    joint = mixed.sessions.get(slug="joint-conference")
    joint.room, joint.capacity = None, None
    joint.save()
    BookingFactory(registration=RegistrationFactory(event=mixed), session=joint)
    rows = charts(staff_client.get(f"/{mixed.slug}/staff/").content.decode())["Seats taken, per session"]["rows"]
    assert (joint.title, "1, no limit", None, None) in rows
