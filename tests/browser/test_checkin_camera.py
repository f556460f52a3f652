"""The door on a phone: Chromium's camera films a ticket's QR code (a fake capture device fed
from a Y4M file), jsQR reads it under the site's Content-Security-Policy, and the person is
checked in."""
import io

import pytest
from django.test import Client
from PIL import Image

from registrations import services
from registrations.documents import qr_png
from registrations.models import Registration
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.factories import details_for, staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 640, 480


def camera_file(path, text):
    """A Y4M video (4:2:0) whose frames show the QR code of `text` on white, as a phone camera
    would see a ticket held up to it."""
    code = Image.open(io.BytesIO(qr_png(text, scale=8))).convert("RGB")  # the app's own QR code
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    luma, blue, red = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(5):
            video.write(b"FRAME\n" + planes)


@pytest.fixture
def phone_at_the_door(live_server, seeded, tmp_path):
    """(page, registration, csp_errors): a logged-in desk phone whose camera sees the person's code."""
    from playwright.sync_api import sync_playwright

    energy = seeded.sessions.get(slug="energy-meeting")
    registration, *_ = services.register(seeded, details=details_for("ane@example.org", first_name="Ane"),
                                         platforms=[energy.platform], sessions=[energy])
    video = tmp_path / "ticket.y4m"
    camera_file(video, registration.checkin_code)
    client = Client()
    client.force_login(staff_user("Registration staff", "door"))
    flags = CHROMIUM_FLAGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        context = browser.new_context(viewport={"width": 390, "height": 844}, permissions=["camera"])
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(20_000)
        csp_errors = []
        page.on("console", lambda message: "Content Security Policy" in message.text and csp_errors.append(message.text))
        yield page, registration, csp_errors
        browser.close()


def test_the_camera_reads_the_code_and_checks_the_person_in(live_server, seeded, phone_at_the_door):
    page, registration, csp_errors = phone_at_the_door
    page.goto(f"{live_server.url}/{seeded.slug}/staff/checkin/")
    page.get_by_role("button", name="Scan a QR code with the camera").click()
    page.wait_for_url(f"**/staff/checkin/?q={registration.checkin_code}")
    assert page.get_by_text("Ane Tester is checked in.").is_visible()
    assert Registration.objects.get(pk=registration.pk).checked_in_at is not None
    # The camera comes back by itself for the next person; the ticket still in front of it is
    # not posted again at once (without the pause: about 3 posts a second, each "already").
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.locator("#scan-video:not([hidden])").wait_for()
    page.wait_for_timeout(3000)
    assert posts == []
    assert csp_errors == []


def test_the_camera_checks_people_into_the_session_the_desk_is_for(live_server, seeded, phone_at_the_door):
    page, registration, csp_errors = phone_at_the_door
    page.goto(f"{live_server.url}/{seeded.slug}/staff/checkin/?session=energy-meeting")
    page.get_by_role("button", name="Scan a QR code with the camera").click()
    page.get_by_text("Ane Tester is checked into “Energy Platform meeting”.").wait_for()
    assert registration.bookings.get(session__slug="energy-meeting").checked_in_at is not None
    assert csp_errors == []
