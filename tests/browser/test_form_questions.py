"""In Chromium: an organiser's two questions (one with a limited option) answered by their
labels, a region picked from the list the country narrows, and sessions at the same time marked
while ticking. Then the participant corrects their details."""
import re

import pytest

from registrations.models import Question, QuestionOption, Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answer_two_questions_pick_a_region_and_correct_the_details_later(page, live_server, seeded):
    dinner = Question.objects.create(event=seeded, label="Networking dinner on 27 November", kind="single_choice",
                                     required=True, position=1)
    come = QuestionOption.objects.create(question=dinner, label="I will come", limit=80, position=0)
    QuestionOption.objects.create(question=dinner, label="I will not come", position=1)
    topics = Question.objects.create(event=seeded, label="Topics you work on", kind="multiple_choice", position=2)
    for number, label in enumerate(["Bioeconomy", "Hydrogen", "Textiles"]):
        QuestionOption.objects.create(question=topics, label=label, position=number)

    page.goto(f"{live_server.url}/{seeded.slug}/register/")
    page.get_by_label(re.compile(r"^\s*First name")).fill("Ane")
    page.get_by_label(re.compile(r"^\s*Last name")).fill("Etxeberria")
    page.get_by_label(re.compile(r"^\s*Email address")).fill("ane@example.eus")
    page.get_by_label(re.compile(r"^\s*Organisation")).fill("Basque Government")

    region = page.get_by_label(re.compile(r"^\s*Region"))
    page.get_by_label(re.compile(r"^\s*Country")).select_option(label="Spain")
    spanish = region.locator("option[data-country]").evaluate_all("options => options.map(o => o.dataset.country)")
    assert len(spanish) == 19 and set(spanish) == {"ES"}  # the script narrowed the list to Spain
    assert page.locator("#div_id_region_other").is_hidden()
    region.select_option(label="País Vasco")

    page.get_by_label("Public authority or policy-maker").check()
    page.get_by_label("Energy", exact=True).check()
    agri_food, energy = page.get_by_label(re.compile("Agri-Food Platform meeting")), page.get_by_label(
        re.compile("Energy Platform meeting"))
    agri_food.check()
    assert page.locator(".overlap-note:visible").count() >= 2  # the other platform meetings at that time
    assert page.locator(f"#{agri_food.get_attribute('id')}_overlap").is_hidden()  # not against itself
    energy_note = page.locator(f"#{energy.get_attribute('id')}_overlap")
    assert energy_note.is_visible() and "At the same time" in energy_note.inner_text()
    agri_food.uncheck()
    assert page.locator(".overlap-note:visible").count() == 0
    energy.check()

    page.get_by_label("I will come").check()
    page.get_by_label("Hydrogen").check()
    page.get_by_label("Textiles").check()
    page.get_by_label(re.compile("I agree that the organisers process my personal data")).check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/register/thanks/$"))

    ane = Registration.objects.get(email="ane@example.eus")
    assert (ane.country.code, ane.region) == ("ES", "ES21")
    answers = {answer.question_id: sorted(o.label for o in answer.options.all()) for answer in ane.answers.all()}
    assert answers == {dinner.pk: ["I will come"], topics.pk: ["Hydrogen", "Textiles"]}
    assert come.answers.count() == 1

    # Later, on the details page: another region (of another country), and the dinner declined.
    page.goto(f"{live_server.url}{ane.get_absolute_url()}")
    page.get_by_role("link", name="Correct my details").click()
    page.get_by_label(re.compile(r"^\s*Country")).select_option(label="France")
    page.get_by_label(re.compile(r"^\s*Region")).select_option(label="Ile-de-France")
    page.get_by_label("I will not come").check()
    page.get_by_role("button", name="Save my details").click()
    assert "Your details are saved" in page.locator("main").inner_text()
    ane.refresh_from_db()
    assert (ane.country.code, ane.region) == ("FR", "FR10") and come.answers.count() == 0
