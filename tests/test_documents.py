"""PDFs: name badges, the participant's ticket and the certificate of attendance, read back with
pypdf (pages, text) and zxing-cpp (the QR codes in them)."""
import io
import math
import re

import pypdf
import pytest
import zxingcpp
from PIL import Image
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registrations import documents, emails, mailings, services
from registrations.models import OutgoingEmail, Registration
from tests.factories import details_for, staff_user

pytestmark = pytest.mark.django_db

LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff" * 2 + "-" + "Ü" * 29  # 100 letters, no space to break at


def read(content):
    return pypdf.PdfReader(io.BytesIO(content))


def text_of(reader):
    """The text of every page, without the spaces and line breaks that wrapping puts in."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def codes_in(reader):
    """Every QR code drawn in the PDF, decoded; each a full QR code (phones' cameras and jsQR
    do not read Micro QR codes)."""
    found = [result for page in reader.pages for image in page.images for result in zxingcpp.read_barcodes(image.image)]
    assert {result.format for result in found} <= {zxingcpp.BarcodeFormat.QRCode}
    return [result.text for result in found]


@pytest.fixture
def people(seeded):
    """Eleven people in (Greek, Polish, a 100-letter name among them), one awaiting approval."""
    energy = seeded.sessions.get(slug="energy-meeting")
    names = [("Ελένη", "Παπαδοπούλου"), ("Łukasz", "Żółć"), ("Ana", LONG_NAME)] + [
        (f"Person{number}", "Tester") for number in range(8)]
    registered = [services.register(seeded, details=details_for(f"p{number}@example.org", first_name=first, last_name=last),
                                    platforms=[energy.platform], sessions=[energy])[0]
                  for number, (first, last) in enumerate(names)]
    seeded.requires_approval = True
    seeded.save()
    services.register(seeded, details=details_for("pending@example.org", first_name="Pending"),
                      platforms=[energy.platform], sessions=[energy])
    return registered


@pytest.fixture
def staff(client):
    client.force_login(staff_user("Registration staff", "printer"))
    return client


def test_badges_eight_to_a_sheet_with_every_name_as_text_and_each_qr_code_decoding_to_the_check_in_code(staff, seeded, people):
    response = staff.get(f"/{seeded.slug}/staff/badges.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = read(response.content)
    assert len(reader.pages) == math.ceil(11 / 8)
    text = text_of(reader)
    for person in people:
        assert f"{person.first_name}{person.last_name}" in text  # the long name shrinks and wraps, never cut
    assert "Pending" not in text  # not admitted: no badge
    assert "Energy" in text  # the platform band
    assert sorted(codes_in(reader)) == sorted(person.checkin_code for person in people)


def test_one_badge_a_page_on_a6_and_the_filters_of_the_exports(staff, seeded, people):
    agri = seeded.sessions.get(slug="agri-food-meeting")
    services.change_sessions(people[0], [agri])
    reader = read(staff.get(f"/{seeded.slug}/staff/badges.pdf?layout=a6").content)
    assert len(reader.pages) == 11
    assert round(float(reader.pages[0].mediabox.width)) == 298  # A6: 105 mm
    only_agri = read(staff.get(f"/{seeded.slug}/staff/badges.pdf?session=agri-food-meeting").content)
    assert codes_in(only_agri) == [people[0].checkin_code]
    assert staff.get(f"/{seeded.slug}/staff/badges.pdf?layout=a3").status_code == 400
    assert staff.get(f"/{seeded.slug}/staff/badges.pdf?session=nope").status_code == 400


def test_badges_are_for_staff_who_may_export(client, seeded, people):
    assert client.get(f"/{seeded.slug}/staff/badges.pdf").status_code == 302  # to the login page
    client.force_login(staff_user(None, "nobody"))
    assert client.get(f"/{seeded.slug}/staff/badges.pdf").status_code == 403


def test_badges_run_the_same_queries_for_3_and_11_people(seeded, people):
    def queries_for(registrations):
        with CaptureQueriesContext(connection) as captured:
            documents.badges_pdf(registrations)
        return len(captured.captured_queries)

    few = queries_for(Registration.objects.filter(pk__in=[person.pk for person in people[:3]]))
    assert few == queries_for(Registration.objects.filter(pk__in=[person.pk for person in people]))
    assert few <= 3


def test_a_badge_is_in_its_owners_language(seeded, people):
    person = people[3]
    services.set_language(person, "es")
    person.refresh_from_db()
    text = text_of(read(documents.badges_pdf(Registration.objects.filter(pk=person.pk))))
    assert "España" in text and "Energía" in text


def test_the_ticket_from_the_private_page_in_the_participants_language(client, seeded, people):
    person = people[1]
    services.set_language(person, "es")
    page = client.get(person.get_absolute_url()).content.decode()
    ticket_url = f"/{seeded.slug}/registration/{person.token}/ticket.pdf"
    assert f'href="{ticket_url}"' in page
    response = client.get(ticket_url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    reader = read(response.content)
    text = text_of(reader)
    assert "ŁukaszŻółć" in text and "Sussesiones" in text and "ReunióndelaPlataformadeEnergía" in text
    assert codes_in(reader) == [person.checkin_code]


def test_no_ticket_before_admission(client, seeded, people):
    pending = Registration.objects.get(email="pending@example.org")
    assert client.get(f"/{seeded.slug}/registration/{pending.token}/ticket.pdf").status_code == 404
    assert "ticket.pdf" not in client.get(pending.get_absolute_url()).content.decode()


def pdfs_in(message):
    return [(attachment.filename, attachment.content) for attachment in message.attachments
            if not hasattr(attachment, "get_content_type") and attachment.mimetype == "application/pdf"]


def test_the_confirmation_email_carries_the_ticket(seeded, people):
    email = OutgoingEmail.objects.filter(registration=people[4], kind=OutgoingEmail.Kind.CONFIRMATION).get()
    message = emails.build_message(email)
    [ticket] = [content for name, content in pdfs_in(message)]
    assert codes_in(read(ticket)) == [people[4].checkin_code]
    # The QR code shown in the email itself, a full QR code too.
    [image] = [part for part in message.attachments if hasattr(part, "get_content_type")]
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_payload(decode=True))))
    assert (found.text, found.format) == (people[4].checkin_code, zxingcpp.BarcodeFormat.QRCode)
    # Other emails do not: a change of sessions says what changed, the ticket stays in the first.
    services.change_sessions(people[4], [])
    change = OutgoingEmail.objects.filter(registration=people[4], kind=OutgoingEmail.Kind.CHANGE).get()
    assert pdfs_in(emails.build_message(change)) == []


def test_the_certificate_only_after_check_in_with_the_sessions_attended(client, seeded, people):
    person = people[5]
    url = f"/{seeded.slug}/registration/{person.token}/certificate.pdf"
    assert client.get(url).status_code == 404
    assert "certificate.pdf" not in client.get(person.get_absolute_url()).content.decode()
    services.check_in(person)
    assert f'href="{url}"' in client.get(person.get_absolute_url()).content.decode()
    text = text_of(read(client.get(url).content))
    assert "Certificateofattendance" in text and "Person2Tester" in text
    assert "SmartSpecialisationThematicPlatformDays" in text and "JointResearchCentre" in text
    assert "EnergyPlatformmeeting" in text  # door-only check-in: the sessions they had a seat in


def test_the_certificate_needs_a_check_in_only_where_a_desk_checked_people_in(seeded, people):
    """Energy had a desk at its door (someone was checked into it): only those checked in
    attended. Agri-food had none: a seat in it counts, once it has ended; a session still to
    come never does."""
    energy, agri = seeded.sessions.get(slug="energy-meeting"), seeded.sessions.get(slug="agri-food-meeting")
    joint = seeded.sessions.filter(kind="joint_conference").first()
    attended, skipped = people[6], people[7]
    for person in (attended, skipped):
        services.change_sessions(person, [energy, agri, joint])
    services.check_in(attended, energy)
    skipped, _first = services.check_in(skipped)
    energy_end = energy.ends_at
    assert [s.slug for s in documents.attended_sessions(attended, now=energy_end)] == [
        session.slug for session in sorted([energy, agri, joint], key=lambda s: s.starts_at) if
        session == energy or session.ends_at <= energy_end]
    assert energy not in documents.attended_sessions(skipped, now=energy_end)
    before_everything = min(s.starts_at for s in (energy, agri, joint))
    assert documents.attended_sessions(skipped, now=before_everything) == []
    text = text_of(read(documents.certificate_pdf(attended)))
    assert "EnergyPlatformmeeting" in text and "Agri-FoodPlatformmeeting" in text


def test_long_lists_go_on_to_a_new_page_instead_of_off_the_paper(seeded, people):
    """35 sessions on a ticket and a certificate, and long practical information: every line
    of text stays above the bottom margin."""
    event = seeded
    event.practical_information = "\n".join(f"Line {number} of the practical information." for number in range(80))
    event.save()
    room = seeded.rooms.first()
    sessions = [seeded.sessions.create(title=f"Workshop {number}", slug=f"workshop-{number}", kind="workshop",
                                       room=room, starts_at=joint_start(seeded, number), ends_at=joint_start(seeded, number, 1),
                                       capacity=None) for number in range(35)]
    person = people[10]
    services.change_sessions(person, sessions)
    person, _first = services.check_in(person)
    for content in (documents.ticket_pdf(person), documents.certificate_pdf(person)):
        reader = read(content)
        assert len(reader.pages) > 1
        lowest = []
        for page in reader.pages:
            page.extract_text(visitor_text=lambda text, cm, tm, font, size: text.strip() and lowest.append(tm[5]))
        assert min(lowest) >= 10 * 72 / 25.4  # 10 mm: nothing off the page or under the footer
        assert "Workshop34" in text_of(reader)


def joint_start(event, number, hours=0):
    import datetime
    return datetime.datetime(2018, 11, 27, 8, tzinfo=event.tz) + datetime.timedelta(minutes=15 * number, hours=hours)


def test_a_sessions_badges_are_for_its_seats_not_its_waitlist(staff, seeded, people):
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 11  # the eleven in have the seats
    energy.save()
    seeded.requires_approval = False
    seeded.save()
    waiting, *_ = services.register(seeded, details=details_for("waits@example.org", first_name="Waits"),
                                    platforms=[energy.platform], sessions=[energy])
    assert waiting.is_admitted and waiting.bookings.get().status == "waitlisted"
    codes = codes_in(read(staff.get(f"/{seeded.slug}/staff/badges.pdf?session=energy-meeting").content))
    assert waiting.checkin_code not in codes and len(codes) == 11  # the eleven booked before keep theirs


def test_the_certificate_link_placeholder_is_filled_for_people_checked_in_only(seeded, people):
    checked_in, _first_time = services.check_in(people[8])
    assert mailings.values_for(checked_in)["certificate_link"].endswith(
        f"/registration/{people[8].token}/certificate.pdf")
    assert mailings.values_for(people[9])["certificate_link"] == ""
    mailings.check("Your certificate: {certificate_link}")  # a placeholder organisers may use


def test_badges_as_an_admin_action_say_who_got_none(staff, seeded, people):
    pending = Registration.objects.get(email="pending@example.org")
    response = staff.post("/admin/registrations/registration/", {
        "action": "print_badges", "_selected_action": [people[0].pk, pending.pk]})
    assert response["Content-Type"] == "application/pdf"
    assert codes_in(read(response.content)) == [people[0].checkin_code]
    listing = staff.get("/admin/registrations/registration/").content.decode()
    assert "1 selected registration is not admitted" in listing
