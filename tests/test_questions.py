"""The organisers' own questions: each kind on the form, required ones, answers stored, shown on
the private page and in the exports, and options with limited places that are never oversold."""
import csv
import functools
import io
import re
import time

import pytest

from registrations import services
from registrations.models import Answer, Question, QuestionOption, Registration
from tests.factories import EventFactory, PlatformFactory, SessionFactory, details_for, staff_user
from tests.threads import at_once

pytestmark = pytest.mark.django_db


def add_question(event, label, kind, required=False, options=(), position=0):
    question = Question.objects.create(event=event, label=label, kind=kind, required=required, position=position)
    for number, (option_label, limit) in enumerate(options):
        QuestionOption.objects.create(question=question, label=option_label, limit=limit, position=number)
    return question


@pytest.fixture
def asked(seeded):
    """One question of each kind on the 2018 event; the dinner has 2 places."""
    return {
        "diet": add_question(seeded, "Anything about you we should know?", "text", position=1),
        "bio": add_question(seeded, "Your work in a few lines", "long_text", position=2),
        "first": add_question(seeded, "Is this your first S3 Platform Days?", "yes_no", required=True, position=3),
        "dinner": add_question(seeded, "Networking dinner", "single_choice",
                               options=[("I will come", 2), ("I will not come", None)], position=4),
        "topics": add_question(seeded, "Topics you care about", "multiple_choice",
                               options=[("Bioeconomy", None), ("Hydrogen", None), ("Textiles", None)], position=5),
        "nights": add_question(seeded, "Nights in Bilbao", "number", position=6),
    }


def sign_up_data(seeded, email, **answers):
    energy = seeded.sessions.get(slug="energy-meeting")
    return {
        "first_name": "Ane", "last_name": "Etxeberria", "email": email, "organisation": "Basque Government",
        "country": "ES", "region": "ES21", "stakeholder_type": "public_authority", "platforms": [energy.platform_id],
        "consent": "on", **answers,
    }


def option(question, label):
    return question.options.get(label=label)


def test_the_form_shows_each_question_after_the_fixed_fields_in_order(client, seeded, asked):
    html = client.get(f"/{seeded.slug}/register/").content.decode()
    positions = [html.index(question.label) for question in asked.values()]
    assert positions == sorted(positions) and html.index("Dietary needs") < positions[0]
    assert 'name="question_%d" maxlength="500"' % asked["diet"].pk in html
    assert '<textarea name="question_%d"' % asked["bio"].pk in html
    assert re.search(r'type="radio"[^>]*name="question_%d" value="yes"' % asked["first"].pk, html)
    assert re.search(r'type="checkbox"[^>]*name="question_%d"' % asked["topics"].pk, html)
    assert 'name="question_%d"' % asked["nights"].pk in html and 'inputmode="decimal"' in html


def test_answers_of_every_kind_are_stored(client, seeded, asked):
    response = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "ane@example.eus", **{
        f"question_{asked['diet'].pk}": "  Coeliac  ",
        f"question_{asked['bio'].pk}": "Smart specialisation\nin the Basque Country",
        f"question_{asked['first'].pk}": "no",
        f"question_{asked['dinner'].pk}": str(option(asked["dinner"], "I will come").pk),
        f"question_{asked['topics'].pk}": [str(option(asked["topics"], "Hydrogen").pk),
                                           str(option(asked["topics"], "Bioeconomy").pk)],
        f"question_{asked['nights'].pk}": "2",
    }))
    assert response.status_code == 302, response.content.decode()[:3000]
    ane = Registration.objects.get(email="ane@example.eus")
    answers = {answer.question_id: answer for answer in ane.answers.all()}
    assert answers[asked["diet"].pk].text == "Coeliac"
    assert answers[asked["bio"].pk].text == "Smart specialisation\nin the Basque Country"
    assert answers[asked["first"].pk].text == "no"
    assert [o.label for o in answers[asked["dinner"].pk].options.all()] == ["I will come"]
    assert sorted(o.label for o in answers[asked["topics"].pk].options.all()) == ["Bioeconomy", "Hydrogen"]
    assert answers[asked["nights"].pk].text == "2"


@pytest.mark.parametrize("answers, field, message", [
    ({}, "first", "This field is required."),
    ({"nights": "many"}, "nights", "Enter a number."),
    ({"first": "perhaps"}, "first", "Select a valid choice."),
    ({"dinner": "999999"}, "dinner", "Please choose from the answers offered."),
    ({"topics": ["999999"]}, "topics", "Please choose from the answers offered."),
    ({"diet": "x" * 501}, "diet", "Ensure this value has at most 500 characters"),
])
def test_bad_answers_get_a_clear_message_and_save_nothing(client, seeded, asked, answers, field, message):
    data = {f"question_{asked['first'].pk}": "yes"} if answers else {}  # {}: the required one left out
    data.update({f"question_{asked[name].pk}": value for name, value in answers.items()})
    response = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "ane@example.eus", **data))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html or "is-invalid" in html
    assert not Registration.objects.exists() and not Answer.objects.exists()


def test_a_used_up_option_shows_full_and_is_refused(client, seeded, asked):
    dinner = asked["dinner"]
    come = option(dinner, "I will come")
    for number in range(2):
        services.register(seeded, details=details_for(f"p{number}@example.org"), platforms=[], sessions=[],
                          answers={dinner: come.pk})
    assert f"I will come (full)" in client.get(f"/{seeded.slug}/register/").content.decode()
    response = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "late@example.org", **{
        f"question_{asked['first'].pk}": "yes", f"question_{dinner.pk}": str(come.pk)}))
    assert response.status_code == 200
    assert "“I will come” is full: please choose another answer." in response.content.decode()
    assert not Registration.objects.filter(email="late@example.org").exists()
    # A cancellation frees the place.
    services.cancel(Registration.objects.get(email="p0@example.org"))
    response = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "late@example.org", **{
        f"question_{asked['first'].pk}": "yes", f"question_{dinner.pk}": str(come.pk)}))
    assert response.status_code == 302


def test_a_stranger_using_a_registered_address_is_refused_a_full_option_like_a_newcomer(client, seeded, asked):
    dinner = asked["dinner"]
    come = option(dinner, "I will come")
    for number in range(2):
        services.register(seeded, details=details_for(f"p{number}@example.org"), platforms=[], sessions=[],
                          answers={dinner: come.pk})
    data = {f"question_{asked['first'].pk}": "yes", f"question_{dinner.pk}": str(come.pk)}
    registered = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "p1@example.org", **data))
    newcomer = client.post(f"/{seeded.slug}/register/", sign_up_data(seeded, "new@example.org", **data))
    assert registered.status_code == newcomer.status_code == 200
    assert "is full" in registered.content.decode() and "is full" in newcomer.content.decode()


def test_the_private_page_and_both_exports_carry_the_answers(client, seeded, asked):
    ane, *_ = services.register(seeded, details=details_for("ane@example.eus"), platforms=[], sessions=[], answers={
        asked["first"]: "yes", asked["topics"]: [option(asked["topics"], "Textiles").pk], asked["nights"]: 3})
    private = client.get(ane.get_absolute_url()).content.decode()
    assert "Is this your first S3 Platform Days?</dt><dd class=\"col-sm-9\">Yes" in private
    assert "Textiles" in private
    client.force_login(staff_user("Registration staff", "door"))
    for response in (
        client.get(f"/{seeded.slug}/staff/attendees.csv"),
        client.post("/admin/registrations/registration/", {"action": "export_csv", "_selected_action": [ane.pk]}),
    ):
        header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        answers = dict(zip(header, row))
        assert answers["Is this your first S3 Platform Days?"] == "Yes"
        assert answers["Topics you care about"] == "Textiles" and answers["Nights in Bilbao"] == "3"
        assert answers["Networking dinner"] == ""


def test_the_event_admin_page_lists_questions_and_a_question_page_its_options_with_places(client, seeded, asked):
    client.force_login(staff_user("Organisers", "organiser"))
    event_page = client.get(f"/admin/agenda/event/{seeded.pk}/change/").content.decode()
    assert "Networking dinner" in event_page and 'name="questions-0-label_es"' in event_page
    question_page = client.get(f"/admin/registrations/question/{asked['dinner'].pk}/change/").content.decode()
    assert 'name="options-0-limit"' in question_page and 'name="options-0-label_eu"' in question_page


def test_an_option_cannot_get_fewer_places_than_people_chose_it(client, seeded, asked):
    dinner = asked["dinner"]
    come, stay = dinner.options.order_by("position")
    for number in range(2):
        services.register(seeded, details=details_for(f"p{number}@example.org"), platforms=[], sessions=[],
                          answers={dinner: come.pk})
    client.force_login(staff_user("Organisers", "organiser"))
    data = {
        "label_en": dinner.label, "kind": "single_choice", "position": 4, "event": seeded.pk,
        "options-TOTAL_FORMS": 2, "options-INITIAL_FORMS": 2, "options-MIN_NUM_FORMS": 0, "options-MAX_NUM_FORMS": 1000,
        "options-0-id": come.pk, "options-0-question": dinner.pk, "options-0-label_en": come.label,
        "options-0-position": 0, "options-0-limit": 1,
        "options-1-id": stay.pk, "options-1-question": dinner.pk, "options-1-label_en": stay.label,
        "options-1-position": 1, "options-1-limit": "",
    }
    response = client.post(f"/admin/registrations/question/{dinner.pk}/change/", data)
    assert response.status_code == 200
    assert "2 people chose this answer, so it needs at least 2 places." in response.content.decode()
    come.refresh_from_db()
    assert come.limit == 2
    data["options-0-limit"] = 5
    assert client.post(f"/admin/registrations/question/{dinner.pk}/change/", data).status_code == 302
    come.refresh_from_db()
    assert come.limit == 5


PEOPLE, PLACES = 12, 4


def dinner_race(event, question, come):
    """PEOPLE sign-ups choosing the limited option at the same instant, each on its own connection.
    Returns (errors, the numbers of those refused as full)."""

    def sign_up(number):
        try:
            services.register(event, details=details_for(f"diner{number}@example.org"), platforms=[], sessions=[],
                              answers={question: come.pk})
        except services.OptionFull:
            return "full"

    results, errors = at_once(*(functools.partial(sign_up, number) for number in range(PEOPLE)))
    return errors, [number for number, result in enumerate(results) if result == "full"]


@pytest.fixture
def dinner(transactional_db):
    event = EventFactory()
    PlatformFactory()
    SessionFactory(event=event)
    question = add_question(event, "Dinner", "single_choice", options=[("Yes", PLACES)])
    return event, question, question.options.get()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twelve_at_once_for_four_dinner_places_give_four_places_and_eight_refusals(dinner):
    event, question, come = dinner
    errors, full = dinner_race(event, question, come)
    assert errors == []
    assert come.answers.count() == PLACES and len(full) == PEOPLE - PLACES
    assert Registration.objects.filter(event=event).count() == PLACES  # the refused saved nothing


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_option_lock_the_dinner_is_oversold(dinner, monkeypatch):
    event, question, come = dinner
    real_filter, real_refuse = QuestionOption.objects.filter, services.refuse_full_options

    class Unlocked:
        """QuestionOption.objects whose select_for_update locks nothing."""

        def select_for_update(self, **options):
            return self

        def filter(self, *args, **kwargs):
            return real_filter(*args, **kwargs)

    def count_then_pause(*args, **kwargs):
        real_refuse(*args, **kwargs)
        time.sleep(0.1)  # widen the window between counting the places and writing the answer

    monkeypatch.setattr(services.QuestionOption, "objects", Unlocked())
    monkeypatch.setattr(services, "refuse_full_options", count_then_pause)
    errors, _full = dinner_race(event, question, come)
    assert errors == []
    assert come.answers.count() > PLACES, "expected an oversold dinner without the lock"


def test_a_question_people_answered_keeps_its_kind(client, seeded, asked):
    services.register(seeded, details=details_for("a@example.org"), platforms=[], sessions=[],
                      answers={asked["diet"]: "Bilbao"})
    client.force_login(staff_user("Organisers", "organiser"))
    url = f"/admin/registrations/question/{asked['diet'].pk}/change/"
    response = client.post(url, {
        "label_en": asked["diet"].label, "kind": "number", "position": 1, "event": seeded.pk,
        "options-TOTAL_FORMS": 0, "options-INITIAL_FORMS": 0, "options-MIN_NUM_FORMS": 0, "options-MAX_NUM_FORMS": 1000})
    assert "1 person answered this question, so its kind cannot change" in response.content.decode()
    assert Question.objects.get(pk=asked["diet"].pk).kind == "text"


def test_an_answer_that_no_longer_fits_its_question_is_shown_as_given(client, seeded, asked):
    ane, *_ = services.register(seeded, details=details_for("a@example.org"), platforms=[], sessions=[],
                                answers={asked["diet"]: "Bilbao"})
    Question.objects.filter(pk=asked["diet"].pk).update(kind="number")  # changed behind the admin's back
    page = client.get(ane.get_absolute_url())
    assert page.status_code == 200 and "Bilbao" in page.content.decode()


def test_a_question_help_text_is_shown_as_text(client, seeded):
    add_question(seeded, "Dinner", "text").__class__.objects.filter(label="Dinner").update(
        help_text='<a href="https://evil.example">click</a>')
    html = client.get(f"/{seeded.slug}/register/").content.decode()
    assert '<a href="https://evil.example">' not in html and "&lt;a href=" in html
