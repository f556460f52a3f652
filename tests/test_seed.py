"""load_s3days: the 2018 event, idempotent, and it never overwrites what organisers edited."""
import datetime
import io

import pytest
from django.core import serializers
from django.core.management import call_command

from agenda.models import Event, Partnership, Platform, Room, Session

pytestmark = pytest.mark.django_db


def load():
    out = io.StringIO()
    call_command("load_s3days", stdout=out)
    return out.getvalue()


def snapshot():
    rows = [*Event.objects.all(), *Platform.objects.all(), *Partnership.objects.all(), *Room.objects.all()]
    rows += list(Session.objects.all())
    return serializers.serialize("json", rows)


def test_loads_the_event_its_platforms_and_programme():
    load()
    event = Event.objects.get(slug="s3-platform-days-2018")
    assert event.city.startswith("Bilbao")
    assert (event.start_date, event.end_date) == (datetime.date(2018, 11, 27), datetime.date(2018, 11, 28))
    assert event.registration_opens is None and event.registration_closes is None
    assert sorted(Platform.objects.values_list("name", flat=True)) == ["Agri-Food", "Energy", "Industrial Modernisation"]
    assert Partnership.objects.filter(platform__slug="agri-food").count() == 5
    # Three distinct badge colours, and networking on (DESIGN.md: "the seed has it on").
    assert len(set(Platform.objects.values_list("colour", flat=True))) == 3
    assert event.matchmaking
    assert Partnership.objects.get(name="Bioenergy").lead_regions == "Lapland (FI), Castilla y León (ES)"
    joint = event.sessions.get(kind=Session.Kind.JOINT_CONFERENCE)
    assert "Working Together towards Joint Investments" in joint.title
    assert joint.registrable
    assert not event.sessions.get(slug="welcome-desk").registrable


def test_second_run_changes_nothing():
    load()
    first = snapshot()
    assert "0 rows created" in load()
    assert snapshot() == first


def test_second_run_keeps_what_organisers_edited_renamed_or_deleted():
    load()
    Session.objects.filter(slug="joint-conference").update(title="Edited title", capacity=120)
    Room.objects.filter(name="Meeting room A").update(name="Sala Arriaga")
    Session.objects.filter(slug="energy-meeting").delete()
    Partnership.objects.filter(name="Photonics").delete()
    load()
    joint = Session.objects.get(slug="joint-conference")
    assert (joint.title, joint.capacity) == ("Edited title", 120)
    assert not Room.objects.filter(name="Meeting room A").exists()
    assert not Session.objects.filter(slug="energy-meeting").exists()
    assert not Partnership.objects.filter(name="Photonics").exists()


def test_each_platform_meeting_belongs_to_its_platform():
    load()
    meetings = Session.objects.filter(kind=Session.Kind.PLATFORM_MEETING).select_related("platform")
    assert {meeting.slug: meeting.platform.slug for meeting in meetings} == {
        "agri-food-meeting": "agri-food",
        "energy-meeting": "energy",
        "industrial-modernisation-meeting": "industrial-modernisation",
    }


def test_times_come_out_in_madrid_time():
    load()
    event = Event.objects.get()
    joint = event.sessions.get(slug="joint-conference")
    # 14:00 in Bilbao in November is 13:00 UTC (CET, UTC+1).
    assert joint.starts_at == datetime.datetime(2018, 11, 27, 13, 0, tzinfo=datetime.timezone.utc)
    local = joint.starts_at.astimezone(event.tz)
    assert (local.hour, local.minute, local.tzname()) == (14, 0, "CET")
    assert joint.ends_at.astimezone(event.tz).hour == 18
    agri = event.sessions.get(slug="agri-food-meeting")
    assert agri.starts_at.astimezone(event.tz).strftime("%Y-%m-%d %H:%M") == "2018-11-28 09:30"
    assert list(event.sessions.on_day(datetime.date(2018, 11, 28), event.tz).values_list("slug", flat=True)) == [
        "agri-food-meeting",
        "energy-meeting",
        "industrial-modernisation-meeting",
    ]


def test_the_seed_ships_spanish_and_basque_texts_and_fills_them_into_an_older_database():
    from django.utils import translation

    load()
    with translation.override("eu"):
        assert Platform.objects.get(slug="energy").name == "Energia"
        assert Event.objects.get().city == "Bilbo, Espainia"
    with translation.override("es"):
        assert Session.objects.get(slug="joint-conference").title.startswith("Conferencia")
    # As a database loaded before the seed had translations: English only, one text edited.
    Session.objects.update(title_es=None, title_eu=None)
    Session.objects.filter(slug="energy-meeting").update(title_en="Energy meeting, edited")
    assert "translated" in load()
    energy, joint = Session.objects.get(slug="energy-meeting"), Session.objects.get(slug="joint-conference")
    assert joint.title_es and joint.title_eu  # filled in
    assert energy.title_es is None  # an organiser's own English text is not the seed's: left alone
    assert "0 rows created, 0 texts translated" in load()


def test_a_platform_colour_too_light_for_white_text_is_refused():
    from django.core.exceptions import ValidationError

    from agenda.models import validate_hex_colour

    validate_hex_colour("#2e6b30")  # the seed's Agri-Food green: 6.4:1
    with pytest.raises(ValidationError, match="contrast of 1.5:1"):
        validate_hex_colour("#ffcc00")
