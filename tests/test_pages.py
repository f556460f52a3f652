"""The first public pages."""
import pytest

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_root_leads_to_the_only_event(client, seeded):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/s3-platform-days-2018/"
    assert response.status_code == 200


def test_event_home_shows_name_dates_place_and_platforms(client, seeded):
    html = client.get("/s3-platform-days-2018/").content.decode()
    assert "Smart Specialisation Thematic Platform Days" in html
    assert "27&ndash;28 November 2018" in html
    assert "Euskalduna Conference Centre" in html and "Bilbao" in html
    for platform in ("Agri-Food", "Energy", "Industrial Modernisation"):
        assert platform in html
    assert "14:00" in html  # the joint conference, in Madrid time


def test_root_lists_events_when_there_are_several(client, seeded):
    EventFactory(name="Another event")
    html = client.get("/").content.decode()
    assert "Another event" in html and "Smart Specialisation Thematic Platform Days" in html


def test_unknown_event_is_a_404(client, db):
    assert client.get("/no-such-event/").status_code == 404


def test_healthz_answers(client, db):
    assert client.get("/healthz").json() == {"database": "ok", "broker": "none (tasks run in-process)"}


@pytest.mark.parametrize("url", ["/s3-platform-days-2018/agenda/?platform=%00", "/%00/", "/s3-platform-days-2018/staff/checkin/?q=a%00b"])
def test_nul_bytes_in_addresses_are_a_clean_400(client, seeded, url):
    assert client.get(url).status_code == 400
