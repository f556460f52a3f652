"""Self-service: participants correct their own details on /registration/<token>/details/, each
change confirmed by email; a new address counts only once confirmed from that address. Also
the NUTS regions of the form, and the staff page's reach."""
import datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from registrations import services
from registrations.emails import build_message
from registrations.models import OutgoingEmail, Question, QuestionOption, Registration
from tests.factories import details_for, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ane(seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    return services.register(seeded, details=details_for("ane@example.eus", first_name="Ane"),
                             platforms=[energy.platform], sessions=[energy])[0]


def details_page(registration):
    return f"{registration.get_absolute_url()}details/"


def form_data(registration, **changes):
    data = {
        "first_name": registration.first_name, "last_name": registration.last_name, "email": registration.email,
        "organisation": registration.organisation, "country": registration.country.code,
        "region": registration.region or "other", "region_other": registration.region_other,
        "stakeholder_type": registration.stakeholder_type,
        "platforms": [platform.pk for platform in registration.platforms.all()],
        "dietary_needs": registration.dietary_needs, "accessibility_needs": registration.accessibility_needs,
    }
    return {**data, **changes}


def emails_of(registration, kind):
    return list(registration.emails.filter(kind=kind).order_by("id"))


@pytest.mark.parametrize("changes, field, expected", [
    ({"first_name": "Ane Miren"}, "first_name", "Ane Miren"),
    ({"last_name": "Etxeberria"}, "last_name", "Etxeberria"),
    ({"organisation": "Innobasque"}, "organisation", "Innobasque"),
    ({"country": "FR", "region": "FR10"}, "region", "FR10"),
    ({"region": "other", "region_other": "Iparralde"}, "region_other", "Iparralde"),
    ({"stakeholder_type": "business"}, "stakeholder_type", "business"),
    ({"dietary_needs": "vegan"}, "dietary_needs", "vegan"),
    ({"accessibility_needs": "wheelchair"}, "accessibility_needs", "wheelchair"),
])
def test_each_detail_can_be_corrected_and_the_change_is_confirmed_by_email(client, ane, changes, field, expected):
    response = client.post(details_page(ane), form_data(ane, **changes))
    assert response.status_code == 302 and response["Location"] == ane.get_absolute_url()
    ane.refresh_from_db()
    assert getattr(ane, field) == expected
    [email] = emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED)
    assert field in email.context["changed"] or (field == "region_other" and "region" in email.context["changed"])
    assert email.to_address == "ane@example.eus"


def test_platforms_listing_consent_and_answers_change_too(client, seeded, ane):
    question = Question.objects.create(event=seeded, label="Dinner", kind="single_choice")
    come = QuestionOption.objects.create(question=question, label="I will come", limit=10)
    agri = seeded.sessions.get(slug="agri-food-meeting").platform
    client.post(details_page(ane), form_data(ane, platforms=[agri.pk], listed="on", **{f"question_{question.pk}": come.pk}))
    ane.refresh_from_db()
    assert list(ane.platforms.all()) == [agri] and ane.listed_consent_at is not None
    assert [option.label for option in ane.answers.get().options.all()] == ["I will come"]
    [email] = emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED)
    assert set(email.context["changed"]) == {"platforms", "listed", "answers"}
    message = build_message(email)
    assert "* Dinner: I will come" in message.body and "* Platforms: Agri-Food" in message.body


def test_saving_without_a_change_sends_nothing(client, ane):
    client.post(details_page(ane), form_data(ane))
    assert emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED) == []


def test_a_region_of_another_country_is_refused_and_nothing_changes(client, ane):
    response = client.post(details_page(ane), form_data(ane, country="PT", region="ES21"))
    assert response.status_code == 200
    assert "País Vasco is not a region of Portugal" in response.content.decode()
    ane.refresh_from_db()
    assert (ane.country.code, ane.region) == ("ES", "ES21") and not emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED)


def test_other_needs_the_place_in_words(client, ane):
    response = client.post(details_page(ane), form_data(ane, region="other", region_other=""))
    assert "Please write the name of your region." in response.content.decode()


def test_a_new_address_counts_only_once_confirmed_from_that_address(
    client, seeded, ane, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(details_page(ane), form_data(ane, email="ane@innobasque.eus"), follow=True)
    assert "We have sent a link to ane@innobasque.eus" in response.content.decode()
    ane.refresh_from_db()
    assert ane.email == "ane@example.eus" and ane.new_email == "ane@innobasque.eus"
    [confirm] = emails_of(ane, OutgoingEmail.Kind.CONFIRM_NEW_EMAIL)
    assert confirm.to_address == "ane@innobasque.eus"
    message = [m for m in mail.outbox if m.to == ["ane@innobasque.eus"]][0]
    assert ane.token not in message.body and not message.attachments  # nothing of the registration yet
    link = f"/{seeded.slug}/confirm-email/{confirm.context['key']}/"
    assert link in message.body

    assert client.get(link).status_code == 200  # a mail scanner opening the link changes nothing
    ane.refresh_from_db()
    assert ane.email == "ane@example.eus"

    response = client.post(link)
    assert response.status_code == 302
    ane.refresh_from_db()
    assert ane.email == "ane@innobasque.eus" and ane.new_email == "" and ane.new_email_key == ""
    told = {email.to_address for email in emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED)}
    assert told == {"ane@innobasque.eus", "ane@example.eus"}  # the old address hears of it too
    assert client.post(link).status_code == 400  # used once


def test_a_confirmation_link_stops_working_after_two_days_or_when_another_address_is_asked(client, seeded, ane):
    client.post(details_page(ane), form_data(ane, email="first@example.eus"))
    first_key = Registration.objects.get(pk=ane.pk).new_email_key
    client.post(details_page(ane), form_data(ane, email="second@example.eus"))
    assert client.post(f"/{seeded.slug}/confirm-email/{first_key}/").status_code == 400
    Registration.objects.filter(pk=ane.pk).update(new_email_asked_at=timezone.now() - datetime.timedelta(days=3))
    second_key = Registration.objects.get(pk=ane.pk).new_email_key
    response = client.post(f"/{seeded.slug}/confirm-email/{second_key}/")
    assert response.status_code == 400 and "does not work" in response.content.decode()
    assert Registration.objects.get(pk=ane.pk).email == "ane@example.eus"


def test_an_address_registered_by_someone_else_cannot_be_taken(client, seeded, ane):
    services.register(seeded, details=details_for("ben@example.org"), platforms=[], sessions=[])
    client.post(details_page(ane), form_data(ane, email="BEN@example.org"))
    key = Registration.objects.get(pk=ane.pk).new_email_key
    response = client.post(f"/{seeded.slug}/confirm-email/{key}/")
    assert response.status_code == 400 and "already registered" in response.content.decode()
    assert Registration.objects.get(pk=ane.pk).email == "ane@example.eus"


def test_the_details_page_is_private(client, seeded, ane):
    assert client.get(f"/{seeded.slug}/registration/{'x' * 43}/details/").status_code == 404
    services.cancel(ane)
    assert client.get(details_page(ane)).status_code == 404


def test_a_language_change_is_confirmed_in_the_new_language(client, ane):
    client.post(f"{ane.get_absolute_url()}language/", {"language": "eu"})
    [email] = emails_of(ane, OutgoingEmail.Kind.DETAILS_CHANGED)
    assert email.context["changed"] == ["language"]
    message = build_message(OutgoingEmail.objects.get(pk=email.pk))  # as the worker reads it
    assert "* Hizkuntza: Euskara" in message.body


def test_the_sign_up_form_takes_a_region_of_the_country_or_other(client, seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    base = {"first_name": "Jo", "last_name": "Do", "organisation": "Org", "stakeholder_type": "other",
            "platforms": [energy.platform_id], "consent": "on"}
    url = f"/{seeded.slug}/register/"
    assert client.post(url, {**base, "email": "a@example.org", "country": "GR", "region": "EL30"}).status_code == 302
    refused = client.post(url, {**base, "email": "b@example.org", "country": "FR", "region": "EL30"})
    assert refused.status_code == 200 and "is not a region of France" in refused.content.decode()
    assert client.post(url, {**base, "email": "c@example.org", "country": "US", "region": "other",
                             "region_other": "Texas"}).status_code == 302
    missing = client.post(url, {**base, "email": "d@example.org", "country": "ES", "region": ""})
    assert "Please choose your region" in missing.content.decode()
    assert list(Registration.objects.order_by("email").values_list("email", "region", "region_other")) == [
        ("a@example.org", "EL30", ""), ("c@example.org", "", "Texas")]


def test_the_staff_page_says_how_many_regions_and_countries_and_charts_regions(client, seeded):
    for email, country, region, other in [("a@x.org", "ES", "ES21", ""), ("b@x.org", "ES", "ES21", ""),
                                          ("c@x.org", "FR", "FR10", ""), ("d@x.org", "US", "", "Texas"),
                                          ("e@x.org", "US", "", " texas ")]:
        services.register(seeded, details=details_for(email, country=country, region=region, region_other=other),
                          platforms=[], sessions=[])
    client.force_login(staff_user("Registration staff", "door"))
    html = client.get(f"/{seeded.slug}/staff/").content.decode()
    assert "5 participants\nfrom 3 regions\nin 3 countries." in html
    assert "Registrations by region" in html and "<td>País Vasco (ES21)</td><td class=\"text-end\">2</td>" in html


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_free_text_regions_in_region_other():
    executor = MigrationExecutor(connection)
    before = [("registrations", "0005_registration_language"), ("agenda", "0002_content_in_three_languages")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Event = old_apps.get_model("agenda", "Event")
    Registration_ = old_apps.get_model("registrations", "Registration")
    event = Event.objects.create(name="E", slug="e", host="JRC", city="Bilbao", start_date="2018-11-27",
                                 end_date="2018-11-28")
    Registration_.objects.create(event=event, first_name="A", last_name="B", email="a@example.org", organisation="O",
                                 country="ES", region="Basque Country", stakeholder_type="other",
                                 consent_given_at=timezone.now(), token="t" * 43, checkin_code="C0FFEE0001")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(Registration.objects.values_list("region", "region_other")) == [("", "Basque Country")]


def test_the_old_address_is_told_of_the_change_without_any_key_to_the_registration(
        client, seeded, ane, django_capture_on_commit_callbacks):
    old_token = ane.token
    client.post(details_page(ane), form_data(ane, email="ane@innobasque.eus"))
    key = Registration.objects.get(pk=ane.pk).new_email_key
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/{seeded.slug}/confirm-email/{key}/")
    ane.refresh_from_db()
    assert ane.token != old_token  # the link the old mailbox had no longer works
    assert client.get(f"/{seeded.slug}/registration/{old_token}/").status_code == 404
    notice = next(message for message in mail.outbox if message.to == ["ane@example.eus"])
    assert "ane@innobasque.eus" in notice.body
    assert ane.token not in notice.body and ane.checkin_code not in notice.body and not notice.attachments
    new = next(message for message in mail.outbox if message.to == ["ane@innobasque.eus"])
    assert ane.token in new.body  # the new address gets the new link


def test_the_details_page_cannot_send_our_emails_to_any_inbox_again_and_again(client, ane, settings):
    settings.STRANGER_EMAILS_PER_HOUR = 3
    for number in range(3):
        client.post(details_page(ane), form_data(ane, email=f"victim{number % 2}@example.org"))
    response = client.post(details_page(ane), form_data(ane, email="victim9@example.org"))
    assert "You have asked for several new addresses within the hour" in response.content.decode()
    assert ane.emails.filter(kind=OutgoingEmail.Kind.CONFIRM_NEW_EMAIL).count() == 3


def test_a_pending_address_change_can_be_withdrawn(client, ane):
    client.post(details_page(ane), form_data(ane, email="typo@exmaple.org"))
    assert Registration.objects.get(pk=ane.pk).new_email == "typo@exmaple.org"
    client.post(details_page(ane), form_data(ane))  # the current address again
    ane.refresh_from_db()
    assert (ane.new_email, ane.new_email_key, ane.email) == ("", "", "ane@example.eus")
