"""The organisers' admin: who sees what, and changelists whose query count does not grow."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    BookingFactory,
    EventFactory,
    PlatformFactory,
    RegistrationFactory,
    SessionFactory,
    details_for,
    staff_user,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "agenda_event",
    "agenda_session",
    "agenda_room",
    "agenda_speaker",
    "agenda_platform",
    "agenda_partnership",
    "registrations_registration",
    "registrations_outgoingemail",
    "registrations_question",
    "registrations_invitation",
    "registrations_mailing",
]


@pytest.fixture
def organiser_client(client):
    client.force_login(staff_user("Organisers"))
    return client


def make_rows(event, count):
    from registrations import services
    from registrations.models import Mailing

    platforms = [PlatformFactory(slug="agri-food", name="Agri-Food"), PlatformFactory(slug="energy", name="Energy")]
    for _ in range(count):
        session = SessionFactory(event=event, platform=platforms[0])
        registration = RegistrationFactory(event=event, platforms=platforms)
        BookingFactory(registration=registration, session=session)
        services.invite(event, "Invited Person", f"invited-{registration.pk}@example.org")
        Mailing.objects.create(event=event, subject="News", body="Hello {first_name}")


@pytest.mark.parametrize("page", ["registrations_question_add", "registrations_mailing_add",
                                  "registrations_invitation_invite"])
def test_the_forms_of_questions_mailings_and_invitations_open_for_organisers(organiser_client, seeded, page):
    assert organiser_client.get(reverse(f"admin:{page}")).status_code == 200


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_changelists_open_for_an_organiser(organiser_client, seeded, changelist):
    make_rows(seeded, 2)
    response = organiser_client.get(reverse(f"admin:{changelist}_changelist"))
    assert response.status_code == 200


def test_session_changelist_shows_seat_counts(organiser_client):
    session = SessionFactory(capacity=3, title="Counted session")
    BookingFactory(session=session, registration__event=session.event)
    BookingFactory(session=session, registration__event=session.event, status="waitlisted")
    response = organiser_client.get(reverse("admin:agenda_session_changelist"))
    row = next(r for r in response.context["cl"].result_list if r.pk == session.pk)
    assert (row.confirmed_count, row.waitlisted_count) == (1, 1)
    assert '<td class="field-seats_left">2</td>' in response.content.decode()


@pytest.mark.parametrize("changelist", ["agenda_session", "registrations_registration", "agenda_room",
                                        "registrations_invitation", "registrations_mailing"])
def test_changelist_queries_do_not_grow_with_rows(organiser_client, django_assert_num_queries, changelist):
    event = EventFactory()
    make_rows(event, 5)
    url = reverse(f"admin:{changelist}_changelist")
    with CaptureQueriesContext(connection) as five_rows:
        assert organiser_client.get(url).status_code == 200
    make_rows(event, 45)
    with django_assert_num_queries(len(five_rows.captured_queries)):
        response = organiser_client.get(url)
    assert response.context["cl"].result_count >= 50


def test_user_in_neither_group_cannot_see_registrations(client):
    RegistrationFactory()
    client.force_login(staff_user(None, "outsider"))
    assert client.get(reverse("admin:registrations_registration_changelist")).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(reverse("admin:registrations_registration_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_only_registration_staff_hold_the_export_permission():
    staff, organiser, outsider = staff_user("Registration staff", "s"), staff_user("Organisers", "o"), staff_user(None)
    assert staff.has_perm("registrations.export_attendees")
    assert not organiser.has_perm("registrations.export_attendees")
    assert not outsider.has_perm("registrations.export_attendees")
    assert organiser.has_perm("agenda.change_session") and not staff.has_perm("agenda.change_session")
    assert staff.has_perm("registrations.view_registration") and organiser.has_perm("registrations.view_registration")
    assert not organiser.has_perm("registrations.change_registration")


def test_resend_confirmation_action_queues_one_email_per_active_registration(client, django_capture_on_commit_callbacks):
    from django.core import mail

    from registrations.models import OutgoingEmail

    active, cancelled = RegistrationFactory(), RegistrationFactory(status="cancelled")
    client.force_login(staff_user("Registration staff"))
    asked = client.post(reverse("admin:registrations_registration_changelist"),
                        {"action": "resend_confirmation", "_selected_action": [active.pk, cancelled.pk]})
    assert "This emails 1 person:" in asked.content.decode() and not OutgoingEmail.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:registrations_registration_changelist"),
            {"action": "resend_confirmation", "_selected_action": [active.pk, cancelled.pk], "post": "yes"},
            follow=True,
        )
    assert "Confirmation email queued for 1 person." in response.content.decode()
    assert list(OutgoingEmail.objects.values_list("registration", "kind", "status")) == [
        (active.pk, "confirmation", "sent")
    ]
    assert [message.to for message in mail.outbox] == [[active.email]]


def test_retry_failed_emails_action_gives_failed_rows_new_attempts(client, django_capture_on_commit_callbacks):
    from registrations.models import OutgoingEmail

    registration = RegistrationFactory()
    failed = OutgoingEmail.objects.create(registration=registration, kind="confirmation",
                                          to_address=registration.email, status="failed", attempts=6)
    sent = OutgoingEmail.objects.create(registration=registration, kind="confirmation", to_address=registration.email,
                                        status="sent", attempts=1, sent_at=failed.created_at)
    registration.email = "corrected@example.org"  # the address was wrong; staff fixed it
    registration.save()
    client.force_login(staff_user("Registration staff"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:registrations_outgoingemail_changelist"),
                    {"action": "retry", "_selected_action": [failed.pk, sent.pk]})
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.to_address) == ("sent", 1, "corrected@example.org")
    assert (sent.status, sent.attempts) == ("sent", 1)


def test_organisers_cannot_mass_email_participants(client):
    from registrations.models import OutgoingEmail

    registration = RegistrationFactory()
    client.force_login(staff_user("Organisers"))
    client.post(reverse("admin:registrations_registration_changelist"),
                {"action": "resend_confirmation", "_selected_action": [registration.pk], "post": "yes"})
    assert not OutgoingEmail.objects.exists()


def test_registration_staff_correct_details_but_not_the_status(client):
    registration = RegistrationFactory(email="typo@exmaple.org")
    client.force_login(staff_user("Registration staff"))
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    form = client.get(url).context["adminform"].form
    assert "status" not in form.fields and "email" in form.fields


def test_raising_a_capacity_in_the_admin_confirms_the_waitlist_in_order(client):
    from registrations import services

    session = SessionFactory(capacity=1)
    platform = PlatformFactory(slug="energy", name="Energy")
    people = []
    for name in ["ana", "ben", "cai"]:
        details = details_for(f"{name}@example.org")
        people.append(services.register(session.event, details=details, platforms=[platform], sessions=[session])[0])
    client.force_login(staff_user("Organisers"))
    local = session.starts_at.astimezone(session.event.tz)
    end = session.ends_at.astimezone(session.event.tz)
    response = client.post(reverse("admin:agenda_session_change", args=[session.pk]), {
        "event": session.event_id, "title_en": session.title, "slug": session.slug, "kind": session.kind,
        "room": session.room_id, "starts_at_0": f"{local:%Y-%m-%d}", "starts_at_1": f"{local:%H:%M}",
        "ends_at_0": f"{end:%Y-%m-%d}", "ends_at_1": f"{end:%H:%M}", "capacity": "2", "registrable": "on",
    }, follow=True)
    assert "1 person confirmed from the waitlist" in response.content.decode()
    assert [person.bookings.get().status for person in people] == ["confirmed", "confirmed", "waitlisted"]


def test_outbox_list_filters_by_status_and_kind(organiser_client):
    from registrations.models import OutgoingEmail

    registration = RegistrationFactory()
    OutgoingEmail.objects.create(registration=registration, kind="promotion", to_address="a@b.org", status="failed")
    OutgoingEmail.objects.create(registration=registration, kind="confirmation", to_address="c@d.org")
    response = organiser_client.get(reverse("admin:registrations_outgoingemail_changelist") + "?status__exact=failed&kind__exact=promotion")
    assert [row.to_address for row in response.context["cl"].result_list] == ["a@b.org"]


def test_a_registration_page_in_the_admin_shows_its_emails(organiser_client):
    from registrations.models import OutgoingEmail

    registration = RegistrationFactory()
    OutgoingEmail.objects.create(registration=registration, kind="promotion", to_address=registration.email,
                                 status="failed", last_error="SMTPRecipientsRefused: 550")
    html = organiser_client.get(reverse("admin:registrations_registration_change", args=[registration.pk])).content.decode()
    assert "Promoted from the waitlist" in html and "SMTPRecipientsRefused: 550" in html
