"""Data protection: anonymisation after the retention period, and the personal data export."""
import datetime
import io
import json

import pytest
from django.core.management import call_command

from registrations import services
from registrations.models import Registration
from tests.factories import BookingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_anonymising_keeps_the_counts_and_removes_the_person(seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    ana = RegistrationFactory(event=seeded, first_name="Ana", email="ana@example.org", organisation="Junta",
                              dietary_needs="vegan", country="ES", region="ES61", signup_browser="f" * 64)
    BookingFactory(registration=ana, session=energy)
    services.email_each_active(Registration.objects.filter(pk=ana.pk), "confirmation")
    old_token = ana.token
    seeded.retention_days = 0  # 2018 + 0 days: long past
    seeded.save()
    assert "1 registrations anonymised" in run("anonymise_registrations")
    ana.refresh_from_db()
    assert (ana.first_name, ana.last_name, ana.organisation, ana.dietary_needs) == ("Anonymised", "", "", "")
    assert ana.email == f"anonymised-{ana.pk}@invalid" and ana.token != old_token and ana.signup_browser == ""
    assert (ana.country.code, ana.region, ana.stakeholder_type) == ("ES", "ES61", "public_authority")
    assert ana.bookings.get().status == "confirmed" and ana.platforms.count() == 1
    assert set(ana.emails.values_list("to_address", flat=True)) == {ana.email}
    assert "0 registrations anonymised" in run("anonymise_registrations")  # once is enough


def test_events_within_their_retention_period_are_left_alone(seeded):
    RegistrationFactory(event=seeded, first_name="Ana")
    seeded.retention_days = (datetime.date.today() - seeded.end_date).days + 30
    seeded.save()
    assert "registrations anonymised" not in run("anonymise_registrations")
    assert Registration.objects.get().first_name == "Ana"


def test_personal_data_export_holds_everything_about_one_address(seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    ana = RegistrationFactory(event=seeded, email="Ana@Example.org", dietary_needs="no nuts")
    BookingFactory(registration=ana, session=energy)
    RegistrationFactory(event=seeded, email="someone.else@example.org")
    data = json.loads(run("export_personal_data", "ana@example.org"))
    [registration] = data["registrations"]
    assert registration["email"] == "Ana@Example.org" and registration["dietary_needs"] == "no nuts"
    assert registration["bookings"] == [{"session": "Energy Platform meeting", "status": "confirmed",
                                         "since": ana.bookings.get().created_at.isoformat()}]
    assert "someone.else" not in json.dumps(data)


def test_anonymising_also_removes_invitees_and_the_personal_export_lists_invitations(seeded):
    from registrations.models import Invitation, OutgoingEmail
    from registrations.privacy import anonymise, personal_data
    from tests.factories import details_for

    invited, _created = services.invite(seeded, "Iker Invited", "iker@example.org")
    ane_invitation, _created = services.invite(seeded, "Ane Etxeberria", "ane@example.eus")
    services.register(seeded, details=details_for("ane@example.eus"), platforms=[], sessions=[],
                      invitation=ane_invitation)
    assert [row["name"] for row in personal_data("IKER@example.org")["invitations"]] == ["Iker Invited"]
    anonymise(seeded)
    for invitation in Invitation.objects.all():
        assert invitation.name == "Anonymised" and invitation.email.endswith("@invalid")
    addresses = set(OutgoingEmail.objects.values_list("to_address", flat=True))
    assert not {"iker@example.org", "ane@example.eus"} & addresses
    assert invited.pk in Invitation.objects.values_list("pk", flat=True)
