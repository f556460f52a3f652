"""Staff tools: the attendee CSV, the staff page, sign-in sheets and check-in."""
import csv
import io
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrations import exports, services
from registrations.models import Registration
from tests.factories import BookingFactory, PlatformFactory, RegistrationFactory, details_for, staff_user
from tests.threads import at_once

pytestmark = pytest.mark.django_db

COLUMNS = ["registration id", "last name", "first name", "email", "organisation", "country", "region code", "region",
           "stakeholder type", "platforms", "sessions", "registered at", "checked in at", "registration status",
           "partnerships", "language", "dietary needs", "accessibility needs", "listed"]


@pytest.fixture
def staff_client(client):
    client.force_login(staff_user("Registration staff", "door"))
    return client


def read_csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def crowd(seeded):
    """Ana confirmed on energy, Ben waitlisted on energy (1 seat), Cai on agri-food, Dan cancelled."""
    energy, agri = seeded.sessions.get(slug="energy-meeting"), seeded.sessions.get(slug="agri-food-meeting")
    energy.capacity = 1
    energy.save()

    def person(first, last, sessions, platform):
        details = details_for(f"{first.lower()}@example.org", first_name=first, last_name=last)
        return services.register(seeded, details=details, platforms=[platform], sessions=sessions)[0]

    people = {
        "ana": person("Ana", "Arrieta", [energy], energy.platform),
        "ben": person("Ben", "Berg", [energy], energy.platform),
        "cai": person("Cai", "Conti", [agri], agri.platform),
        "dan": person("Dan", "Dupont", [agri], agri.platform),
    }
    services.cancel(people["dan"])
    return people


@pytest.mark.parametrize("path", ["staff/attendees.csv", "staff/", "staff/checkin/", "staff/sessions/energy-meeting/sign-in/"])
def test_anonymous_staff_urls_lead_to_the_login_page(client, seeded, path):
    response = client.get(f"/{seeded.slug}/{path}")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize(
    "group, csv_status, staff_status, checkin_status",
    [(None, 403, 403, 403), ("Organisers", 403, 200, 403), ("Registration staff", 200, 200, 200)],
)
def test_permission_matrix(client, seeded, group, csv_status, staff_status, checkin_status):
    client.force_login(staff_user(group))
    assert client.get(f"/{seeded.slug}/staff/attendees.csv").status_code == csv_status
    assert client.get(f"/{seeded.slug}/staff/").status_code == staff_status
    assert client.get(f"/{seeded.slug}/staff/checkin/").status_code == checkin_status


def test_csv_has_the_columns_and_everyone_still_registered(staff_client, seeded, crowd):
    response = staff_client.get(f"/{seeded.slug}/staff/attendees.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="s3-platform-days-2018-attendees-')
    header, *rows = read_csv(response)
    sessions = list(seeded.sessions.filter(registrable=True).order_by("starts_at", "title").values_list("title", flat=True))
    assert header == COLUMNS + sessions  # then a column per session (and per question: none here)
    assert [row[1] for row in rows] == ["Arrieta", "Berg", "Conti"]
    ana = rows[0]
    assert ana[0] == str(crowd["ana"].pk) and ana[3] == "ana@example.org"
    assert ana[5:8] == ["Spain", "ES21", "País Vasco"] and ana[8] == "Research and academia" and ana[9] == "Energy"
    assert ana[10] == "Energy Platform meeting (confirmed)" and rows[1][10] == "Energy Platform meeting (waitlisted)"
    assert ana[11] == crowd["ana"].created_at.astimezone(seeded.tz).strftime("%Y-%m-%d %H:%M") and ana[12] == ""


@pytest.mark.parametrize(
    "query, last_names",
    [
        ("session=energy-meeting", ["Arrieta", "Berg"]),
        ("session=energy-meeting&status=confirmed", ["Arrieta"]),
        ("session=energy-meeting&status=waitlisted", ["Berg"]),
        ("platform=agri-food", ["Conti"]),
        ("platform=energy&status=waitlisted", ["Berg"]),
        ("status=cancelled", ["Dupont"]),
        ("session=agri-food-meeting&status=cancelled", ["Dupont"]),
        ("status=confirmed", ["Arrieta", "Conti"]),
    ],
)
def test_csv_filters_combine(staff_client, seeded, crowd, query, last_names):
    response = staff_client.get(f"/{seeded.slug}/staff/attendees.csv?{query}")
    assert [row[1] for row in read_csv(response)[1:]] == last_names
    for value in query.replace("&", "=").split("=")[1::2]:
        assert value in response["Content-Disposition"]


@pytest.mark.parametrize("query", ["session=nope", "platform=nope", "status=maybe", "session=%00"])
def test_csv_refuses_unknown_filters_clearly(staff_client, seeded, query):
    response = staff_client.get(f"/{seeded.slug}/staff/attendees.csv?{query}")
    assert response.status_code == 400


def test_accents_and_non_latin_names_survive_the_round_trip(staff_client, seeded):
    names = [("Zoë", "Ñúñez-Çelik"), ("Δημήτρης", "Παπαδόπουλος"), ("Ярослава", "Шевченко"), ("明", "李")]
    for first, last in names:
        RegistrationFactory(event=seeded, first_name=first, last_name=last, organisation="Universität Zürich")
    rows = read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv"))[1:]
    assert sorted((row[2], row[1]) for row in rows) == sorted(names)
    assert {row[4] for row in rows} == {"Universität Zürich"}


def test_a_cell_that_starts_like_a_formula_is_neutralised_in_the_file(staff_client, seeded):
    RegistrationFactory(event=seeded, first_name="=HYPERLINK(\"http://evil\")", last_name="-2+3", organisation="@SUM(A1)")
    [row] = read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv"))[1:]
    assert (row[1], row[2], row[4]) == ("'-2+3", "'=HYPERLINK(\"http://evil\")", "'@SUM(A1)")


@settings(max_examples=300)
@given(st.text(max_size=50))
def test_neutralise_prefixes_exactly_the_dangerous_cells(value):
    result = exports.neutralise(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        assert result == "'" + value
    else:
        assert result == value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=40))
def test_any_name_comes_out_of_the_export_unchanged_or_neutralised(event, name):
    Registration.objects.filter(event=event).delete()
    RegistrationFactory(event=event, first_name=name)
    body = "".join(exports.csv_rows(event, exports.attendees(event)))
    [row] = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))[1:]
    assert row[2] == exports.neutralise(name)


def test_the_export_runs_the_same_queries_for_10_and_1000_registrations(staff_client, seeded, django_assert_num_queries):
    platform = PlatformFactory(slug="energy", name="Energy")
    session = seeded.sessions.get(slug="joint-conference")

    def add(count):
        for _ in range(count):
            BookingFactory(registration=RegistrationFactory(event=seeded, platforms=[platform]), session=session)

    def export():
        cache.clear()  # the event is cached for a few seconds: both runs start without it
        return read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv"))

    add(10)
    with CaptureQueriesContext(connection) as ten:
        assert len(export()) == 11
    add(990)
    with django_assert_num_queries(len(ten.captured_queries)):
        assert len(export()) == 1001


def test_export_as_an_admin_action_on_selected_registrations(staff_client, seeded, crowd):
    response = staff_client.post(
        "/admin/registrations/registration/",
        {"action": "export_csv", "_selected_action": [crowd["ben"].pk, crowd["cai"].pk]},
    )
    assert [row[1] for row in read_csv(response)[1:]] == ["Berg", "Conti"]


def test_the_export_action_refuses_registrations_of_two_events(staff_client, seeded, crowd):
    elsewhere = RegistrationFactory()  # another event
    response = staff_client.post(
        "/admin/registrations/registration/",
        {"action": "export_csv", "_selected_action": [crowd["ben"].pk, elsewhere.pk]},
        follow=True,
    )
    assert response["Content-Type"].startswith("text/html")
    assert "Select registrations of one event at a time." in response.content.decode()


def test_staff_page_lists_sessions_with_counts_links_and_the_numbers(staff_client, seeded, crowd):
    html = staff_client.get(f"/{seeded.slug}/staff/").content.decode()
    assert "3 participants\nfrom 1 region\nin 1 country." in html
    assert f'href="/{seeded.slug}/staff/attendees.csv?session=energy-meeting"' in html
    assert f'href="/{seeded.slug}/staff/sessions/energy-meeting/sign-in/"' in html
    assert '<td class="text-end">1</td>\n    <td class="text-end">1</td>' in html  # energy: 1 confirmed, 1 waiting
    for title in ("Registrations by platform", "Registrations by kind of stakeholder", "Registrations by country",
                  "Seats taken, per session", "Registrations per day"):
        assert title in html
    assert "<title>Energy: 2</title>" in html and "<td>Spain</td><td class=\"text-end\">3</td>" in html
    assert "<title>Energy Platform meeting: 100%</title>" in html


def test_sign_in_sheet_lists_the_confirmed_in_alphabetical_order(staff_client, seeded, crowd):
    RegistrationFactory(event=seeded, last_name="Aalto", first_name="Aino")
    extra = Registration.objects.get(last_name="Aalto")
    BookingFactory(registration=extra, session=seeded.sessions.get(slug="agri-food-meeting"))
    html = staff_client.get(f"/{seeded.slug}/staff/sessions/agri-food-meeting/sign-in/").content.decode()
    assert html.index("AALTO, Aino") < html.index("CONTI, Cai")
    assert "DUPONT" not in html and "css/print.css" in html


def test_check_in_finds_by_code_or_name_and_checks_in_once(staff_client, seeded, crowd):
    ana = crowd["ana"]
    html = staff_client.get(f"/{seeded.slug}/staff/checkin/?q={ana.checkin_code.lower()}").content.decode()
    assert "ARRIETA, Ana" in html and "Energy Platform meeting: Confirmed" in html
    assert "ARRIETA" in staff_client.get(f"/{seeded.slug}/staff/checkin/?q=arrieta").content.decode()
    first = staff_client.post(f"/{seeded.slug}/staff/checkin/{ana.pk}/", follow=True).content.decode()
    assert "Ana Arrieta is checked in." in first
    ana.refresh_from_db()
    checked_at = ana.checked_in_at
    second = staff_client.post(f"/{seeded.slug}/staff/checkin/{ana.pk}/", follow=True).content.decode()
    assert "was already checked in at" in second and checked_at.astimezone(seeded.tz).strftime("%H:%M") in second
    ana.refresh_from_db()
    assert ana.checked_in_at == checked_at


def test_a_cancelled_registration_is_not_checked_in(staff_client, seeded, crowd):
    response = staff_client.post(f"/{seeded.slug}/staff/checkin/{crowd['dan'].pk}/", follow=True)
    assert "cancelled their registration: not checked in" in response.content.decode()
    assert Registration.objects.get(pk=crowd["dan"].pk).checked_in_at is None


def test_check_in_needs_a_post_with_csrf(seeded, crowd):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user("Registration staff", "csrf"))
    assert client.post(f"/{seeded.slug}/staff/checkin/{crowd['ana'].pk}/").status_code == 403
    assert client.get(f"/{seeded.slug}/staff/checkin/{crowd['ana'].pk}/").status_code == 405
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is None


def test_both_exports_carry_every_field_a_column_per_session_and_read_back_the_same(staff_client, seeded, crowd):
    Registration.objects.filter(pk=crowd["ana"].pk).update(
        dietary_needs="=HYPERLINK(\"http://evil\")", accessibility_needs="wheelchair", language="eu")
    csv_rows = read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv"))
    response = staff_client.get(f"/{seeded.slug}/staff/attendees.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="s3-platform-days-2018-attendees-' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    xlsx_rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert xlsx_rows[0] == csv_rows[0]
    header = csv_rows[0]
    ana_csv, ana_xlsx = dict(zip(header, csv_rows[1])), dict(zip(header, xlsx_rows[1]))
    assert ana_csv["dietary needs"] == "'=HYPERLINK(\"http://evil\")"  # a CSV cell no spreadsheet runs
    assert ana_xlsx["dietary needs"] == "=HYPERLINK(\"http://evil\")"  # text in XLSX, typed as text:
    assert next(sheet.iter_rows(min_row=2, max_row=2))[header.index("dietary needs")].data_type == "s"
    assert ana_csv["accessibility needs"] == ana_xlsx["accessibility needs"] == "wheelchair"
    assert ana_csv["language"] == ana_xlsx["language"] == "Euskara"
    assert ana_csv["Energy Platform meeting"] == ana_xlsx["Energy Platform meeting"] == "confirmed"
    ben = dict(zip(header, csv_rows[2]))
    assert ben["Energy Platform meeting"] == "waitlist 1" and ben["Agri-Food Platform meeting"] == ""
    assert ana_xlsx["registration id"] == crowd["ana"].pk  # a number in XLSX
    assert ana_xlsx["registered at"] == crowd["ana"].created_at.astimezone(seeded.tz).replace(
        tzinfo=None, second=0, microsecond=0)
    assert [row[1] for row in xlsx_rows[1:]] == [row[1] for row in csv_rows[1:]] == ["Arrieta", "Berg", "Conti"]


def test_the_csv_with_semicolons_for_excel_in_decimal_comma_locales(staff_client, seeded, crowd):
    body = b"".join(staff_client.get(f"/{seeded.slug}/staff/attendees.csv?delimiter=semicolon").streaming_content)
    first_line = body.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("registration id;last name;first name;email;")


def test_the_xlsx_export_runs_the_same_queries_for_10_and_100_registrations(staff_client, seeded,
                                                                            django_assert_num_queries):
    for number in range(10):
        services.register(seeded, details=details_for(f"p{number}@example.org"), platforms=[], sessions=[])
    url = f"/{seeded.slug}/staff/attendees.xlsx"
    staff_client.get(url)  # the login's first request loads what later ones find cached
    with CaptureQueriesContext(connection) as ten:
        staff_client.get(url)
    for number in range(10, 100):
        services.register(seeded, details=details_for(f"p{number}@example.org"), platforms=[], sessions=[])
    with django_assert_num_queries(len(ten.captured_queries)):
        staff_client.get(url)


def session_row(page, title):
    """The desk's per-session figures (seats, at the event, in the room) for `title`."""
    row = page.split(f" {title}</td>", 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td class="text-end">(\d+)</td>', row)


def test_the_desk_counts_arrivals_overall_and_per_session_and_undo_takes_one_back(staff_client, seeded, crowd):
    url = f"/{seeded.slug}/staff/checkin/"
    assert "0 of 3 arrived" in staff_client.get(url).content.decode()  # ana, ben, cai active; dan cancelled
    staff_client.post(f"{url}{crowd['ana'].pk}/")
    page = staff_client.get(url).content.decode()
    assert "1 of 3 arrived" in page
    # Per session: seats, holders at the event, checked into the room. Ana has the energy seat; ben only waits.
    assert session_row(page, "Energy Platform meeting") == ["1", "1", "0"]
    assert session_row(page, "Agri-Food Platform meeting") == ["1", "0", "0"]
    staff_client.post(f"{url}{crowd['ana'].pk}/undo/")
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is None
    assert "0 of 3 arrived" in staff_client.get(url).content.decode()


def test_undo_is_for_check_in_staff_only(client, seeded, crowd):
    client.force_login(staff_user("Organisers", "organiser"))
    services.check_in(crowd["ana"])
    assert client.post(f"/{seeded.slug}/staff/checkin/{crowd['ana'].pk}/undo/").status_code == 403
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is not None


def two_desks_scan(ana):
    results, errors = at_once(*[lambda: services.check_in(Registration.objects.get(pk=ana.pk))[1]] * 2)
    assert errors == []
    return sorted(results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_scanning_one_person_at_once_record_one_arrival(seeded):
    ana, *_ = services.register(seeded, details=details_for("ana@example.org"), platforms=[], sessions=[])
    assert two_desks_scan(ana) == [False, True]  # one arrival, the other desk told "already"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_lock_and_the_unique_index_both_desks_record_an_arrival(seeded, monkeypatch):
    """Two guards stand against a double arrival: the registration's lock and the unique index
    of one arrival a day. Without both, both desks record one."""
    import time

    from django.db import connection

    from registrations.models import Arrival

    class Unlocked:
        def get(self, **lookup):
            found = Registration.objects.get(**lookup)
            time.sleep(0.2)  # both desks have read "not here today" before either writes
            return found

    ana, *_ = services.register(seeded, details=details_for("ana@example.org"), platforms=[], sessions=[])
    monkeypatch.setattr(services, "locked_registrations", Unlocked)
    [one_a_day] = Arrival._meta.constraints
    with connection.schema_editor() as editor:
        editor.remove_constraint(Arrival, one_a_day)
    try:
        assert two_desks_scan(ana) == [True, True]
        assert Arrival.objects.filter(registration=ana).count() == 2
    finally:
        Arrival.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(Arrival, one_a_day)


def test_a_cancelled_session_keeps_its_column_in_the_exports(staff_client, seeded, crowd):
    energy = seeded.sessions.get(slug="energy-meeting")
    services.cancel_session(energy)
    header, *rows = read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv?status=cancelled"))
    assert "Energy Platform meeting" in header
    by_name = {row[1]: dict(zip(header, row)) for row in rows}
    assert by_name["Arrieta"]["Energy Platform meeting"] == "cancelled"


@pytest.mark.parametrize("path", ["staff/", "staff/checkin/", "staff/sessions/energy-meeting/", "staff/meetings/"])
def test_staff_pages_carry_the_staff_menu_not_the_public_one(client, seeded, path):
    client.force_login(staff_user("Registration staff", "menu"))
    html = client.get(f"/{seeded.slug}/{path}").content.decode()
    menu = html.split('<ul class="navbar-nav', 1)[1].split("</ul>", 1)[0]
    assert f'href="/{seeded.slug}/staff/checkin/"' in menu and 'href="/admin/"' in menu
    assert f'href="/{seeded.slug}/register/"' not in menu
    # Registration staff may not admit people: no link to a page that would answer 403.
    assert f'href="/{seeded.slug}/staff/approvals/"' not in menu
    assert menu.count(f'href="/{seeded.slug}/staff/meetings/"') == 1  # networking is on in the seed


def test_checking_into_one_session_counts_there_and_at_the_door(staff_client, seeded, crowd):
    energy = seeded.sessions.get(slug="energy-meeting")
    desk = f"/{seeded.slug}/staff/checkin/?session=energy-meeting"
    page = staff_client.get(desk + "&q=Arrieta").content.decode()
    assert "Check-in: Energy Platform meeting" in page and "0 of 1 arrived" in page
    response = staff_client.post(f"/{seeded.slug}/staff/checkin/{crowd['ana'].pk}/", {"session": "energy-meeting"})
    assert response.status_code == 302 and "session=energy-meeting" in response["Location"]
    booking = crowd["ana"].bookings.get(session=energy)
    assert booking.checked_in_at is not None
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at == booking.checked_in_at  # in the room: at the event
    page = staff_client.get(desk).content.decode()
    assert "1 of 1 arrived" in page and session_row(page, "Energy Platform meeting") == ["1", "1", "1"]
    # Undo in the session: that check-in was her arrival too (nothing else since), so both go.
    staff_client.post(f"/{seeded.slug}/staff/checkin/{crowd['ana'].pk}/undo/", {"session": "energy-meeting"})
    assert crowd["ana"].bookings.get(session=energy).checked_in_at is None
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is None


def test_undo_in_a_session_keeps_an_arrival_made_at_the_door(seeded, crowd):
    energy = seeded.sessions.get(slug="energy-meeting")
    services.check_in(crowd["ana"])
    services.check_in(crowd["ana"], energy)
    services.undo_check_in(crowd["ana"], energy)
    assert crowd["ana"].bookings.get(session=energy).checked_in_at is None
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is not None


def test_the_session_desk_shows_someone_waiting_with_their_position(staff_client, seeded, crowd):
    page = staff_client.get(f"/{seeded.slug}/staff/checkin/?session=energy-meeting&q=Berg").content.decode()
    assert "No seat in this session: waitlist, position 1" in page and "Check in<span" not in page


def test_someone_without_a_seat_in_the_session_is_not_checked_in_there(staff_client, seeded, crowd):
    response = staff_client.post(f"/{seeded.slug}/staff/checkin/{crowd['ben'].pk}/", {"session": "energy-meeting"},
                                 follow=True)
    assert "Ben Berg has no seat in “Energy Platform meeting”: not checked in." in response.content.decode()
    ben = Registration.objects.get(pk=crowd["ben"].pk)
    assert ben.checked_in_at is None  # refused in the room: not marked at the door either
    assert not ben.bookings.filter(checked_in_at__isnull=False).exists()


def test_undo_at_the_door_takes_back_the_session_check_ins_too(seeded, crowd):
    energy = seeded.sessions.get(slug="energy-meeting")
    services.check_in(crowd["ana"], energy)
    services.undo_check_in(crowd["ana"])
    assert not crowd["ana"].bookings.filter(checked_in_at__isnull=False).exists()
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is None


def test_a_scanned_code_checks_the_person_in_at_once(staff_client, seeded, crowd):
    code = crowd["cai"].checkin_code
    response = staff_client.post(f"/{seeded.slug}/staff/checkin/scan/", {"code": code.lower()}, follow=True)
    assert "Cai Conti is checked in." in response.content.decode()
    assert Registration.objects.get(pk=crowd["cai"].pk).checked_in_at is not None
    again = staff_client.post(f"/{seeded.slug}/staff/checkin/scan/", {"code": code}, follow=True).content.decode()
    assert "Cai Conti was already checked in at" in again
    unknown = staff_client.post(f"/{seeded.slug}/staff/checkin/scan/", {"code": "<b>NOPE</b>"}, follow=True)
    assert "No registration has the code “&lt;B&gt;NOPE&lt;/B&gt;”." in unknown.content.decode()
    assert staff_client.get(f"/{seeded.slug}/staff/checkin/scan/").status_code == 405


@pytest.mark.parametrize("session", ["nope", "welcome-desk", "x" * 500, "²"])
def test_a_desk_session_that_is_not_bookable_says_so_and_the_page_is_the_doors(staff_client, seeded, crowd, session):
    page = staff_client.get(f"/{seeded.slug}/staff/checkin/", {"session": session})
    assert page.status_code == 200
    assert "to check people into: this is the door." in page.content.decode()


@pytest.mark.parametrize("session", ["nope", "agri-food-meeting", "x" * 500, "energy\x00", "²"])
def test_a_desk_posting_a_session_it_cannot_use_changes_nothing(staff_client, seeded, crowd, session):
    """A mistyped session, or one cancelled since the desk's page was opened: no check-in at
    the door in its place, and an undo never becomes the door's undo of everything."""
    energy = seeded.sessions.get(slug="energy-meeting")
    services.check_in(crowd["ana"], energy)
    if session == "agri-food-meeting":
        services.cancel_session(seeded.sessions.get(slug=session))
    for path, person in (("", crowd["cai"]), ("undo/", crowd["ana"])):
        response = staff_client.post(f"/{seeded.slug}/staff/checkin/{person.pk}/{path}", {"session": session},
                                     follow=True)
        assert response.status_code == 200 and "Nothing was done." in response.content.decode()
    assert staff_client.post(f"/{seeded.slug}/staff/checkin/scan/", {"session": session, "code": crowd["cai"].checkin_code}
                             ).status_code == 302
    assert Registration.objects.get(pk=crowd["cai"].pk).checked_in_at is None
    assert Registration.objects.get(pk=crowd["ana"].pk).checked_in_at is not None
    assert crowd["ana"].bookings.get(session=energy).checked_in_at is not None


def test_a_code_with_a_nul_byte_is_simply_not_found(staff_client, seeded, crowd):
    response = staff_client.post(f"/{seeded.slug}/staff/checkin/scan/", {"code": "AB\x00CD"}, follow=True)
    assert response.status_code == 200 and "No registration has the code “ABCD”." in response.content.decode()


def test_the_desk_page_runs_the_same_queries_for_few_and_many_found(staff_client, seeded):
    staff_client.get(f"/{seeded.slug}/staff/checkin/")  # the first request of a login writes its session
    for number in range(20):
        services.register(seeded, details=details_for(f"many{number}@example.org", last_name="Many"),
                          platforms=[], sessions=[seeded.sessions.get(slug="energy-meeting")])
    with CaptureQueriesContext(connection) as few:
        staff_client.get(f"/{seeded.slug}/staff/checkin/?session=energy-meeting&q=many3@")
    with CaptureQueriesContext(connection) as many:
        staff_client.get(f"/{seeded.slug}/staff/checkin/?session=energy-meeting&q=Many")
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_exports_name_platforms_partnerships_and_sessions_in_the_staff_members_language(staff_client, seeded, crowd):
    staff_client.cookies["django_language"] = "es"
    rows = read_csv(staff_client.get(f"/{seeded.slug}/staff/attendees.csv"))
    ana = next(row for row in rows if row[1] == "Arrieta")
    assert ana[COLUMNS.index("platforms")] == "Energía"
    assert ana[COLUMNS.index("sessions")].startswith("Reunión de la Plataforma de Energía (")


def test_a_second_day_counts_its_own_arrivals_and_undo_takes_back_only_todays(staff_client, seeded, crowd):
    import datetime

    from django.utils import timezone

    yesterday = timezone.now() - datetime.timedelta(days=1)
    ana, ben = crowd["ana"], crowd["ben"]
    services.check_in(ana, now=yesterday)
    services.check_in(ben, now=yesterday)
    ana, first_today = services.check_in(ana)
    assert first_today  # a new day: welcome again, not "already checked in"
    assert services.check_in(ana)[1] is False
    assert ana.checked_in_at == ana.arrivals.order_by("day").first().at  # the first arrival stays the first
    page = staff_client.get(f"/{seeded.slug}/staff/checkin/?q=Berg").content.decode()
    assert "1 of 3 arrived" in page and "today; 2 over the whole event" in page
    assert "not yet today." in page and "Check in<span" in page  # ben came yesterday only
    services.undo_check_in(ana)
    ana = Registration.objects.get(pk=ana.pk)
    assert ana.checked_in_at is not None and ana.arrivals.count() == 1  # yesterday's stays
    services.undo_check_in(ben)  # nothing of today's to take back
    assert Registration.objects.get(pk=ben.pk).checked_in_at is not None
