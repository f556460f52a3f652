"""English, Spanish and Basque: every page and every email in the language asked for, with no
English sentence of the English version left in it; the participant's language kept for their
emails and calendars; content translated in the admin, falling back to English."""
import html.parser
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation

from registrations import regions, services
from registrations.emails import build_message
from registrations.models import Invitation, Mailing, OutgoingEmail, Registration
from tests.factories import details_for, staff_user
from tests.networking_factories import accepted_meeting_with

pytestmark = pytest.mark.django_db

OTHER_LANGUAGES = ["es", "eu"]


class VisibleText(html.parser.HTMLParser):
    """The text a reader sees (and a screen reader reads: alt, aria-label, title), one piece
    per text node, whitespace collapsed."""

    def __init__(self, page):
        super().__init__()
        self.pieces, self.hidden = [], 0
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self.hidden += 1
        for name, value in attrs:
            if name in ("alt", "aria-label", "title", "placeholder") and value:
                self.add(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.add(data)

    def add(self, text):
        text = " ".join(text.split())
        if text:
            self.pieces.append(text)


def sentences(text):
    """The pieces of English prose in a page or an email: two words or more, a lower-case word
    among them (names of people, rooms and codes are not prose)."""
    pieces = VisibleText(text).pieces if "<" in text else [line.strip() for line in text.splitlines()]
    return {piece for piece in pieces if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2
            and re.search(r"\b[a-z]{3,}\b", piece) and " " in piece  # one token (an address, a domain) is no sentence
            and "://" not in piece}  # links are the same in every language


def left_in_english(english, translated, content):
    """English sentences of the English version found unchanged in the translated one, less the
    participant's and organisers' own words (names, rooms, organisations), which stay as typed."""
    return sorted(sentence for sentence in sentences(english) & sentences(translated)
                  if not any(word in sentence for word in content))


@pytest.fixture
def ane(seeded):
    """A participant with a seat and a waitlist place."""
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 1
    energy.save()
    services.register(seeded, details=details_for("first@example.org"), platforms=[energy.platform], sessions=[energy])
    registration, *_ = services.register(
        seeded, details=details_for("ane@example.eus", first_name="Ane", last_name="Etxeberria",
                                    organisation="Bizkaiko Foru Aldundia"),
        platforms=[energy.platform], sessions=[energy, seeded.sessions.get(slug="joint-conference")])
    return registration


# What stays as organisers and participants typed it, in every language.
CONTENT = ["Ongi etorri", "Meeting room", "Auditorium", "Foyer", "Bizkaiko Foru Aldundia", "Etxeberria", "Tester", "example.",
           "Basque Country"]
# NUTS names the regions in their own languages (some in English, the UK's): a list, not our words.
CONTENT += [region.name for region in regions.all_regions()]


def public_pages(event, registration):
    booking = registration.bookings.first()
    base = f"/{event.slug}"
    return [
        f"{base}/", f"{base}/agenda/", f"{base}/agenda/?platform=energy", f"{base}/agenda/joint-conference/",
        f"{base}/register/", f"{base}/register/link/", f"{base}/privacy/", f"{base}/no-such-page/",
        f"{base}/registration/{registration.token}/",
        f"{base}/registration/{registration.token}/cancel/",
        f"{base}/registration/{registration.token}/cancel/{booking.pk}/",
        f"{base}/registration/{registration.token}/details/",
        f"{base}/verify/{'v' * 43}/", f"{base}/confirm-email/{'k' * 43}/",
        *invitation_pages(event),
    ]


def invitation_pages(event):
    invitation = Invitation.objects.get_or_create(event=event, email="iker@example.org", defaults={"name": "Iker"})[0]
    return [invitation.get_absolute_url(), f"{invitation.get_absolute_url()}decline/"]


def get(url, language):
    return Client(HTTP_ACCEPT_LANGUAGE=language).get(url)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_public_page_is_in_the_browsers_language_with_no_english_sentence_left(seeded, ane, language):
    for url in public_pages(seeded, ane):
        english, translated = get(url, "en").content.decode(), get(url, language).content.decode()
        assert f'<html lang="{language}"' in translated, url
        assert left_in_english(english, translated, CONTENT) == [], url


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_sign_up_results_and_its_errors_are_translated(seeded, language):
    energy = seeded.sessions.get(slug="energy-meeting")
    data = {**details_for("ane@example.eus"), "platforms": [energy.platform_id], "sessions": [energy.pk], "consent": "on"}
    pages = {}
    for each in ("en", language):
        browser = Client(HTTP_ACCEPT_LANGUAGE=each)
        pages[each] = [browser.post(f"/{seeded.slug}/register/", {}).content.decode(),
                       browser.post(f"/{seeded.slug}/register/", {**data, "email": f"{each}@example.org"},
                                    follow=True).content.decode()]
    for english, translated in zip(pages["en"], pages[language]):
        assert left_in_english(english, translated, CONTENT + ["@example.org"]) == []


def test_basque_form_errors_come_from_djangos_catalog(seeded):
    page = Client(HTTP_ACCEPT_LANGUAGE="eu").post(f"/{seeded.slug}/register/", {}).content.decode()
    assert "Eremu hau beharrezkoa da." in page


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_kind_of_email_is_written_in_the_participants_language(seeded, ane, language):
    moved = {"starts_at": "2018-11-28T08:30:00+00:00", "ends_at": "2018-11-28T12:00:00+00:00", "room": "Meeting room A"}
    energy = seeded.sessions.get(slug="energy-meeting")
    contexts = {
        "confirmation": {}, "promotion": {"session": energy.pk}, "change": {"added": [energy.pk], "dropped": []},
        "cancellation": {"dropped": [energy.pk]}, "private_link": {}, "session_moved": {"session": energy.pk, "was": moved},
        "details_changed": {"changed": ["organisation", "answers"]}, "confirm_new_email": {"key": "k" * 43},
        "verify": {}, "pending": {}, "approved": {"message": "Ongi etorri"}, "rejected": {"reason": "Ongi etorri"},
        "invitation": {}, "invitation_reminder": {}, "mailing": {}, "reminder": {},
        "session_cancelled": {"session": energy.pk},
    }
    meeting = accepted_meeting_with(ane)  # networking's kinds (issue 17)
    contexts.update({kind: {"meeting": meeting.pk} for kind in OutgoingEmail.Kind.values if kind.startswith("meeting_")})
    assert set(contexts) == set(OutgoingEmail.Kind.values)  # a new kind must be checked here too
    invitation = Invitation.objects.create(event=seeded, name="Ane Etxeberria", email="ane.invited@example.eus")
    mailing = Mailing.objects.create(
        event=seeded, subject="Practical information", subject_es="Información práctica",
        subject_eu="Informazio praktikoa", body="Dear {first_name}, see you in Bilbao.",
        body_es="Estimada {first_name}: nos vemos en Bilbao.", body_eu="Kaixo {first_name}: Bilbon ikusiko dugu elkar.")
    statuses = {"verify": "unverified", "pending": "pending", "rejected": "rejected"}
    for kind, context in contexts.items():
        messages = {}
        for each in ("en", language):
            Registration.objects.filter(pk=ane.pk).update(
                language=each, status=statuses.get(kind, "active"), verification_key="v" * 43)
            Invitation.objects.filter(pk=invitation.pk).update(language=each)
            if kind.startswith("invitation"):
                email = OutgoingEmail.objects.create(invitation=invitation, kind=kind, to_address=invitation.email)
            else:
                OutgoingEmail.objects.filter(kind__in=["mailing", "reminder"]).delete()  # once per person
                email = OutgoingEmail.objects.create(registration=Registration.objects.get(pk=ane.pk), kind=kind,
                                                     to_address=ane.email, context=context,
                                                     mailing=mailing if kind == "mailing" else None)
            messages[each] = build_message(OutgoingEmail.objects.get(pk=email.pk))
        english, translated = messages["en"], messages[language]
        assert english.subject != translated.subject, kind
        for part in ("body", "html"):
            english_text = english.body if part == "body" else english.alternatives[0][0]
            translated_text = translated.body if part == "body" else translated.alternatives[0][0]
            assert left_in_english(english_text, translated_text, CONTENT) == [], (kind, part)
        assert f'lang="{language}"' in translated.alternatives[0][0]


def test_a_basque_browser_signs_up_in_basque_and_switching_to_spanish_makes_the_next_email_spanish(
        seeded, django_capture_on_commit_callbacks):
    energy = seeded.sessions.get(slug="energy-meeting")
    joint = seeded.sessions.get(slug="joint-conference")
    browser = Client(HTTP_ACCEPT_LANGUAGE="eu,es;q=0.8,en;q=0.5")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the email goes once the sign-up is saved
        browser.post(f"/{seeded.slug}/register/", {
            **details_for("ane@example.eus"), "platforms": [energy.platform_id], "sessions": [energy.pk], "consent": "on"})
    registration = Registration.objects.get()
    assert registration.language == "eu"
    [confirmation] = mail.outbox
    with translation.override("eu"):
        assert translation.gettext("Your sessions") != "Your sessions"
        assert translation.gettext("Your sessions") in confirmation.body
        assert seeded.sessions.get(slug="energy-meeting").title in confirmation.body  # the Basque title
    page = browser.get(registration.get_absolute_url()).content.decode()
    assert 'lang="eu"' in page and 'value="eu" lang="eu" selected' in page
    response = browser.post(f"/{seeded.slug}/registration/{registration.token}/language/", {"language": "es"}, follow=True)
    assert '<html lang="es"' in response.content.decode()
    assert Registration.objects.get().language == "es"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(f"/{seeded.slug}/registration/{registration.token}/sessions/", {"sessions": [energy.pk, joint.pk]})
    [change] = mail.outbox
    with translation.override("es"):
        assert translation.gettext("Your sessions") in change.body
        assert seeded.sessions.get(slug="joint-conference").title in change.body


def test_a_language_not_offered_is_refused_on_the_private_page(seeded, ane):
    response = Client().post(f"/{seeded.slug}/registration/{ane.token}/language/", {"language": "fr"}, follow=True)
    assert "Please choose one of the languages offered." in response.content.decode()
    assert Registration.objects.get(pk=ane.pk).language == "en"


def test_the_personal_calendar_is_in_the_participants_language(seeded, ane):
    Registration.objects.filter(pk=ane.pk).update(language="eu")
    calendar = Client().get(f"/{seeded.slug}/registration/{ane.token}/agenda.ics").content.decode()
    with translation.override("eu"):
        joint = seeded.sessions.get(slug="joint-conference").title
        name = translation.gettext("%(event)s: my agenda") % {"event": seeded.name}
    assert joint != "Joint Thematic Platforms Conference: Working Together towards Joint Investments"
    unfolded = calendar.replace("\r\n ", "")
    assert f"SUMMARY:{joint}" in unfolded.replace("\\,", ",") and name.split(":")[0] in unfolded


def test_the_language_switcher_sets_the_language_of_every_later_page(seeded):
    browser = Client()
    response = browser.post("/i18n/setlang/", {"language": "eu", "next": f"/{seeded.slug}/agenda/"})
    assert response.status_code == 302 and response["Location"] == f"/{seeded.slug}/agenda/"
    page = browser.get(f"/{seeded.slug}/agenda/").content.decode()
    assert '<html lang="eu"' in page and 'name="csrfmiddlewaretoken"' in page  # the cached agenda's switcher works


def test_dates_are_in_each_languages_format(seeded):
    assert "28 November" in get(f"/{seeded.slug}/agenda/", "en").content.decode()
    assert "28 de noviembre" in get(f"/{seeded.slug}/agenda/", "es").content.decode()
    assert "azaroa" in get(f"/{seeded.slug}/agenda/", "eu").content.decode().lower()


def test_content_falls_back_to_english_where_a_translation_is_empty(seeded):
    session = seeded.sessions.get(slug="energy-meeting")
    session.title_es = ""
    session.save()
    page = get(f"/{seeded.slug}/agenda/energy-meeting/", "es").content.decode()
    assert session.title_en in page


def test_organisers_edit_the_three_languages_side_by_side(client, seeded):
    client.force_login(staff_user("Organisers"))
    session = seeded.sessions.get(slug="energy-meeting")
    page = client.get(f"/admin/agenda/session/{session.pk}/change/").content.decode()
    for language in ("en", "es", "eu"):
        assert f'name="title_{language}"' in page and f'name="description_{language}"' in page
    event_page = client.get(f"/admin/agenda/event/{seeded.pk}/change/").content.decode()
    assert 'name="practical_information_eu"' in event_page and 'name="sessions-0-title_es"' in event_page
