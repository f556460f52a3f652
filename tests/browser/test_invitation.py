"""In Chromium: an invitee opens the link of their invitation email, finds their name and
address filled in (the address fixed), and registers without approval or verification, on an
event that is otherwise by invitation, verified and approved."""
import re

import pytest
from django.core import mail

from registrations import services
from registrations.models import Registration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invitee_signs_up_from_the_link_in_their_email(page, live_server, seeded, settings,
                                                          django_capture_on_commit_callbacks):
    settings.SITE_URL = live_server.url
    seeded.invitation_only = seeded.requires_approval = seeded.verify_email = True
    seeded.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(seeded, "Ane Etxeberria", "ane@example.eus", language="en")
    [invitation_email] = mail.outbox
    link = re.search(r"(http://\S+/invitation/[\w-]+/)\n", invitation_email.body).group(1)

    page.goto(f"{live_server.url}/{seeded.slug}/register/")
    assert "Registration is by invitation" in page.locator("main").inner_text()

    page.goto(link)
    assert page.get_by_label(re.compile(r"^\s*First name")).input_value() == "Ane"
    assert page.get_by_label(re.compile(r"^\s*Last name")).input_value() == "Etxeberria"
    email = page.get_by_label(re.compile(r"^\s*Email address"))
    assert email.input_value() == "ane@example.eus" and email.is_disabled()
    page.get_by_label(re.compile(r"^\s*Organisation")).fill("Basque Government")
    page.get_by_label(re.compile(r"^\s*Country")).select_option(label="Spain")
    page.get_by_label(re.compile(r"^\s*Region")).select_option(label="País Vasco")
    page.get_by_label("Public authority or policy-maker").check()
    page.get_by_label("Energy", exact=True).check()
    page.get_by_label(re.compile("Energy Platform meeting")).check()
    page.get_by_label(re.compile("I agree that the organisers process my personal data")).check()
    page.get_by_role("button", name="Register").click()

    page.wait_for_url(re.compile(r"/registration/[\w-]+/$"))
    main = page.locator("main").inner_text()
    assert "you are registered" in main and "Awaiting approval" not in main
    assert "Confirmed" in page.locator("#bookings").inner_text()
    ane = Registration.objects.get()
    assert (ane.email, ane.status) == ("ane@example.eus", "active")
