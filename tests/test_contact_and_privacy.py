"""Whom to write to, on every page and in every email, and a privacy notice that names the
controller, the data protection officer, the law and the authority to complain to."""
import pytest
from django.core import mail
from django.test import Client

from registrations import services
from tests.factories import details_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ane(seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    return services.register(seeded, details=details_for("ane@example.eus"), platforms=[energy.platform],
                             sessions=[energy])[0]


def test_every_event_page_and_the_private_page_give_the_contact_address(client, seeded, ane):
    link = '<a href="mailto:s3-platform-days@example.org">s3-platform-days@example.org</a>'
    for url in ["/", "agenda/", "register/", "privacy/", "register/link/"]:
        page = client.get(f"/{seeded.slug}/{url}" if url != "/" else f"/{seeded.slug}/").content.decode()
        assert link in page, url
    private = client.get(ane.get_absolute_url()).content.decode()
    assert f"Questions? Write to the organisers at {link}." in private


def test_every_email_answers_to_the_organisers(seeded, django_capture_on_commit_callbacks):
    energy = seeded.sessions.get(slug="energy-meeting")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.register(seeded, details=details_for("ane@example.eus"), platforms=[energy.platform], sessions=[energy])
    [message] = mail.outbox
    assert message.reply_to == ["s3-platform-days@example.org"]
    assert "Questions? Reply to this email or write to s3-platform-days@example.org" in message.body


def test_without_a_contact_address_nothing_points_nowhere(client, seeded, ane, django_capture_on_commit_callbacks):
    seeded.contact_email = ""
    seeded.save()
    assert "mailto:" not in client.get(f"/{seeded.slug}/agenda/").content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.send_private_link(seeded, "ane@example.eus")
    assert mail.outbox[0].reply_to == []


def test_the_privacy_notice_of_an_eu_institution_names_controller_dpo_regulation_and_edps(client, seeded):
    page = " ".join(client.get(f"/{seeded.slug}/privacy/").content.decode().split())
    assert "is European Commission, Joint Research Centre (JRC). It processes them for one purpose" in page
    assert "Regulation (EU) 2018/1725" in page and "European Data Protection Supervisor (EDPS)" in page
    assert "mailto:data-protection-officer@ec.europa.eu" in page
    assert "kept for 365 days after the event, until 28 November 2019" in page
    assert "only if you agreed to that separately" in page  # who sees the list of participants


def test_under_the_gdpr_the_notice_cites_it_and_the_national_authority(client, seeded):
    seeded.data_protection_law = "gdpr"
    seeded.retention_days = 30
    seeded.save()
    page = " ".join(client.get(f"/{seeded.slug}/privacy/").content.decode().split())
    assert "Regulation (EU) 2016/679, the General Data Protection Regulation" in page
    assert "data protection authority of your country" in page and "EDPS" not in page
    assert "kept for 30 days after the event, until 28 December 2018" in page


def test_the_notice_is_in_basque_too(seeded):
    page = Client(HTTP_ACCEPT_LANGUAGE="eu").get(f"/{seeded.slug}/privacy/").content.decode()
    assert "Datuak Babesteko Europako Ikuskatzailearen" in page and "Europako Batzordea" in page
