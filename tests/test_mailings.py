"""Organisers write to chosen groups: recipients by filters, placeholders, once per person
whatever is clicked twice, scheduled sending, the reminder before the event, languages,
permissions, and delivery through the real worker and SMTP server."""
import datetime

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from registrations import mailings, services
from registrations.emails import build_message
from registrations.models import Mailing, OutgoingEmail, Registration
from tests.factories import details_for, staff_user
from tests.test_email_delivery import smtp, wait_until, worker  # noqa: F401 (fixtures)
from tests.threads import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(seeded):
    """ana: energy confirmed (es); ben: energy waitlisted, checked in; cai: agri-food confirmed (eu);
    dan: cancelled; eve: agri-food held, awaiting approval."""
    energy = seeded.sessions.get(slug="energy-meeting")
    agri = seeded.sessions.get(slug="agri-food-meeting")
    energy.capacity = 1
    energy.save()
    people = {}
    for name, session, language in [("ana", energy, "es"), ("ben", energy, "en"), ("cai", agri, "eu"),
                                     ("dan", agri, "en")]:
        people[name] = services.register(seeded, details={**details_for(f"{name}@example.org", first_name=name.title()),
                                                          "language": language},
                                         platforms=[session.platform], sessions=[session])[0]
    services.cancel(people["dan"])
    Registration.objects.filter(pk=people["ben"].pk).update(checked_in_at=timezone.now())
    seeded.requires_approval = True
    seeded.save()
    people["eve"] = services.register(seeded, details=details_for("eve@example.org", first_name="Eve"), platforms=[agri.platform],
                                      sessions=[agri])[0]
    seeded.requires_approval = False
    seeded.save()
    return people


def mailing_for(event, **filters):
    sessions, platforms = filters.pop("sessions", []), filters.pop("platforms", [])
    mailing = Mailing.objects.create(event=event, subject="Practical information",
                                     body="Dear {first_name},\n{my_sessions}\nYour link: {private_link}", **filters)
    mailing.sessions.set(sessions)
    mailing.platforms.set(platforms)
    return mailing


def names(mailing):
    return sorted(registration.first_name for registration in mailings.recipients(mailing))


def test_recipients_by_each_filter_and_combined(seeded, crowd):
    energy = seeded.sessions.get(slug="energy-meeting")
    agri_food = seeded.sessions.get(slug="agri-food-meeting").platform
    assert names(mailing_for(seeded)) == ["Ana", "Ben", "Cai"]  # active: the default
    assert names(mailing_for(seeded, sessions=[energy])) == ["Ana", "Ben"]
    assert names(mailing_for(seeded, sessions=[energy], booking_status="confirmed")) == ["Ana"]
    assert names(mailing_for(seeded, booking_status="waitlisted")) == ["Ben"]
    assert names(mailing_for(seeded, platforms=[agri_food])) == ["Cai"]
    assert names(mailing_for(seeded, registration_status="cancelled")) == ["Dan"]
    assert names(mailing_for(seeded, registration_status="pending", booking_status="held")) == ["Eve"]
    assert names(mailing_for(seeded, checked_in="yes")) == ["Ben"]
    assert names(mailing_for(seeded, checked_in="no")) == ["Ana", "Cai"]
    assert names(mailing_for(seeded, language="eu")) == ["Cai"]
    assert names(mailing_for(seeded, registration_status="any")) == ["Ana", "Ben", "Cai", "Dan", "Eve"]
    assert names(mailing_for(seeded, sessions=[energy], checked_in="no", language="es")) == ["Ana"]


def test_each_placeholder_is_filled_in_for_each_person(seeded, crowd):
    mailing = Mailing.objects.create(event=seeded, subject="{event}: for {first_name} {last_name}",
                                     body="{first_name} {last_name}, {event}\n{my_sessions}\n{private_link}\n{{braces}}")
    subject, body = mailings.text_for(mailing, crowd["ben"])
    assert subject == f"{seeded.name}: for Ben Tester"
    assert body.startswith(f"Ben Tester, {seeded.name}\n")
    assert "Energy Platform meeting (waitlist, position 1)" in body
    assert f"{crowd['ben'].get_absolute_url()}\n{{braces}}" in body


@pytest.mark.parametrize("text, error", [
    ("Hello {name}", "Unknown placeholder {name}"),
    ("Hello {first_name", "A brace is not closed"),
    ("Hello {first_name.__class__}", "Unknown placeholder"),
    ("Hello {0}", "Unknown placeholder {0}"),
])
def test_a_malformed_placeholder_is_a_clear_error_on_the_form_not_a_crash(client, seeded, text, error):
    client.force_login(staff_user("Registration staff", "door"))
    response = client.post("/admin/registrations/mailing/add/", {
        "event": seeded.pk, "subject_en": "Hi", "body_en": text, "booking_status": "any",
        "registration_status": "active", "checked_in": "any", "language": "any"})
    assert response.status_code == 200 and error in response.content.decode()
    assert not Mailing.objects.exists()


def test_sending_queues_one_email_per_person_in_their_language_and_a_second_send_nothing(
        seeded, crowd, django_capture_on_commit_callbacks):
    mailing = mailing_for(seeded)
    mailing.subject_es, mailing.body_es = "Información práctica", "Hola {first_name}: {private_link}"
    mailing.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_mailing(mailing) == 3
    assert services.send_mailing(mailing) == 0
    assert OutgoingEmail.objects.filter(mailing=mailing).count() == 3
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["ana@example.org", "ben@example.org", "cai@example.org"]
    assert by_address["ana@example.org"].subject.endswith("Información práctica")
    assert crowd["ana"].get_absolute_url() in by_address["ana@example.org"].body
    assert by_address["cai@example.org"].subject.endswith("Practical information")  # no Basque: English
    html = by_address["ben@example.org"].alternatives[0][0]
    assert "<p>Dear Ben,<br>" in html and f'href="http://testserver{crowd["ben"].get_absolute_url()}"' in html
    mailing.refresh_from_db()
    assert (mailing.status, mailing.recipients) == ("sent", 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_send_racing_itself_queues_each_person_once(seeded, crowd):
    mailing = mailing_for(seeded)
    results = race_two_sends(mailing)
    assert sorted(results) == [0, 3]
    assert OutgoingEmail.objects.filter(mailing=mailing).count() == 3


def race_two_sends(mailing):
    results, errors = at_once(*[lambda: services.send_mailing(Mailing.objects.get(pk=mailing.pk))] * 2)
    assert errors == []
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_lock_and_the_unique_index_the_race_sends_twice(seeded, crowd, monkeypatch):
    from django.db import models

    constraint = next(c for c in OutgoingEmail._meta.constraints if c.name == "outbox_one_per_mailing_and_person")
    with connection.schema_editor() as editor:
        editor.remove_constraint(OutgoingEmail, constraint)
    try:
        real_manager = Mailing.objects

        class Unlocked(models.Manager):
            def select_for_update(self, **options):
                return real_manager.all()

        unlocked = Unlocked()
        unlocked.model = Mailing
        real_recipients = mailings.recipients

        def slow_recipients(mailing):
            found = list(real_recipients(mailing))
            import time
            time.sleep(0.2)  # both sends read the mailing as a draft before either marks it sent
            return Registration.objects.filter(pk__in=[registration.pk for registration in found])

        monkeypatch.setattr(services.Mailing, "objects", unlocked)
        monkeypatch.setattr(services.mailings, "recipients", slow_recipients)
        mailing = mailing_for(seeded)
        race_two_sends(mailing)
        assert OutgoingEmail.objects.filter(mailing=mailing).count() == 6, "expected each person twice"
    finally:
        OutgoingEmail.objects.filter(mailing__isnull=False).delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(OutgoingEmail, constraint)


def test_a_scheduled_mailing_goes_at_its_time_to_whoever_matches_then(seeded, crowd):
    soon = mailing_for(seeded, send_at=timezone.now() + datetime.timedelta(hours=1), status="scheduled")
    assert services.send_due_mailings() == 0
    services.cancel(crowd["cai"])  # no longer matches when the time comes
    assert services.send_due_mailings(now=timezone.now() + datetime.timedelta(hours=2)) == 1
    assert sorted(OutgoingEmail.objects.filter(mailing=soon).values_list("to_address", flat=True)) == [
        "ana@example.org", "ben@example.org"]
    assert services.send_due_mailings(now=timezone.now() + datetime.timedelta(hours=3)) == 0


def test_a_scheduled_mailing_stays_editable_until_sent_then_read_only(client, seeded, crowd):
    client.force_login(staff_user("Registration staff", "door"))
    response = client.post("/admin/registrations/mailing/add/", {
        "event": seeded.pk, "subject_en": "Hi {first_name}", "body_en": "See you", "booking_status": "any",
        "registration_status": "active", "checked_in": "any", "language": "any",
        "send_at_0": "2018-11-20", "send_at_1": "10:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    mailing = Mailing.objects.get()
    assert mailing.status == "scheduled"
    services.send_due_mailings(now=mailing.send_at)
    page = client.get(f"/admin/registrations/mailing/{mailing.pk}/change/").content.decode()
    assert 'name="subject_en"' not in page  # read-only now
    assert "3 queued, 0 sent, 0 failed" in page  # (the test runs no worker)


def test_the_reminder_goes_once_to_each_active_person_the_right_days_before(seeded, crowd):
    seeded.practical_information = "Badges at the Euskalduna entrance from 8:30."
    seeded.save()
    day = datetime.datetime(2018, 11, 25, 10, tzinfo=seeded.tz)  # two days before the 27th
    assert services.send_reminders(now=day - datetime.timedelta(days=1)) == 0  # too early
    assert services.send_reminders(now=day) == 3
    assert services.send_reminders(now=day + datetime.timedelta(hours=1)) == 0  # once
    reminders = OutgoingEmail.objects.filter(kind="reminder")
    assert sorted(reminders.values_list("to_address", flat=True)) == [
        "ana@example.org", "ben@example.org", "cai@example.org"]
    message = build_message(reminders.get(to_address="ben@example.org"))
    assert "Badges at the Euskalduna entrance" in message.body and crowd["ben"].get_absolute_url() in message.body
    assert {part.get_content_type() for part in message.attachments if not isinstance(part, tuple)} == {"image/png"}
    assert any(isinstance(part, tuple) and part[0] == "my-agenda.ics" for part in message.attachments) is False  # ben waits
    ana = build_message(reminders.get(to_address="ana@example.org"))
    assert any(isinstance(part, tuple) and part[0] == "my-agenda.ics" for part in ana.attachments)


def test_no_reminder_when_the_event_has_none(seeded, crowd):
    seeded.reminder_days_before = None
    seeded.save()
    assert services.send_reminders(now=datetime.datetime(2018, 11, 26, 10, tzinfo=seeded.tz)) == 0


def test_organisers_prepare_and_preview_but_only_registration_staff_send(client, seeded, crowd):
    mailing = mailing_for(seeded)
    url = f"/admin/registrations/mailing/{mailing.pk}/send/"
    client.force_login(staff_user("Organisers", "organiser"))
    page = client.get(url).content.decode()
    assert "It reaches 3 people now." in page and "Dear Ana," in page and "Send now" not in page
    assert client.post(url, {"action": "confirm"}).status_code == 403
    assert not OutgoingEmail.objects.filter(mailing=mailing).exists()
    client.force_login(staff_user("Registration staff", "door"))
    asked = client.post(url, {"action": "send"}).content.decode()
    assert "Send this mailing to 3 people now?" in asked and not OutgoingEmail.objects.filter(mailing=mailing).exists()
    done = client.post(url, {"action": "confirm"}, follow=True).content.decode()
    assert "The mailing is on its way to 3 people." in done
    assert OutgoingEmail.objects.filter(mailing=mailing).count() == 3


def test_a_test_goes_to_the_organiser_only(client, seeded, crowd):
    mailing = mailing_for(seeded)
    user = staff_user("Registration staff", "door")
    user.email = "door@example.org"
    user.save()
    client.force_login(user)
    mail.outbox.clear()
    client.post(f"/admin/registrations/mailing/{mailing.pk}/send/", {"action": "test"})
    [test] = mail.outbox
    assert test.to == ["door@example.org"] and test.subject.startswith("[TEST]") and "Dear Ana," in test.body
    assert not OutgoingEmail.objects.filter(mailing=mailing).exists()


@pytest.mark.django_db(transaction=True)
def test_a_mailing_is_delivered_once_each_through_the_worker_and_smtp(seeded, crowd, worker, smtp):  # noqa: F811
    mailing = mailing_for(seeded)
    assert services.send_mailing(mailing) == 3
    assert wait_until(lambda: OutgoingEmail.objects.filter(mailing=mailing, status="sent").count() == 3)
    received = sorted(message["To"] for message in smtp.messages)
    assert received == ["ana@example.org", "ben@example.org", "cai@example.org"]


# --- Found in review ------------------------------------------------------------------------

def test_scheduling_is_sending_so_it_needs_the_permission(client, seeded, crowd):
    client.force_login(staff_user("Organisers", "organiser"))
    response = client.post("/admin/registrations/mailing/add/", {
        "event": seeded.pk, "subject_en": "Hi", "body_en": "See you", "booking_status": "any",
        "registration_status": "active", "checked_in": "any", "language": "any",
        "send_at_0": "2018-01-01", "send_at_1": "10:00:00"}, follow=True)
    assert "Saved as a draft" in response.content.decode()
    assert Mailing.objects.get().status == "draft"
    assert services.send_due_mailings() == 0


def test_the_preview_and_the_test_carry_nobodys_private_link(client, seeded, crowd):
    mailing = mailing_for(seeded)
    user = staff_user("Organisers", "organiser")
    user.email = "organiser@example.org"
    user.save()
    client.force_login(user)
    page = client.get(f"/admin/registrations/mailing/{mailing.pk}/send/").content.decode()
    assert "Dear Ana," in page and crowd["ana"].token not in page and mailings.PREVIEW_LINK in page
    mail.outbox.clear()
    client.post(f"/admin/registrations/mailing/{mailing.pk}/send/", {"action": "test"})
    [test] = mail.outbox
    assert crowd["ana"].token not in test.body and not test.attachments


@pytest.mark.parametrize("text", ["{first_name:d}", "{first_name!x}", "{first_name:{event}}", "{first_name:>3000000}"])
def test_placeholders_take_no_format_spec_or_conversion(text):
    with pytest.raises(mailings.PlaceholderError):
        mailings.check(text)


def test_a_mailing_reaching_nobody_is_not_marked_sent(client, seeded, crowd):
    mailing = mailing_for(seeded, language="eu", checked_in="yes")  # nobody
    client.force_login(staff_user("Registration staff", "door"))
    client.post(f"/admin/registrations/mailing/{mailing.pk}/send/", {"action": "confirm"})
    assert Mailing.objects.get(pk=mailing.pk).status == "draft"


def test_an_email_queued_before_an_address_change_goes_to_the_new_address(seeded, crowd):
    email = OutgoingEmail.objects.create(registration=crowd["ana"], kind="mailing", to_address="ana@example.org",
                                         mailing=mailing_for(seeded))
    Registration.objects.filter(pk=crowd["ana"].pk).update(email="ana@new.example.org", token="n" * 43)
    message = build_message(OutgoingEmail.objects.get(pk=email.pk))
    assert message.to == ["ana@new.example.org"]
