"""Accepts racing each other on PostgreSQL: never two meetings at one table in one slot, never
one person in two places. Each race has its negative control: the same race with the lock it
relies on taken away must go wrong, which shows the test can see the race it guards against."""
import time

import pytest
from django.db import IntegrityError

from networking import services
from networking.models import Meeting, Profile
from tests.networking_factories import at, networking_event, person, slot
from tests.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAIRS, TABLES = 40, 30


@pytest.fixture
def slow_table_count(monkeypatch):
    """Widens the window between counting a slot's tables and taking one, the same with and
    without the lock, so that a race a missing lock allows happens in a short test."""
    real = services.taken_tables

    def slow(slot_ids):
        taken = real(slot_ids)
        time.sleep(0.03)
        return taken

    monkeypatch.setattr(services, "taken_tables", slow)


def accept_or_refusal(meeting):
    def job():
        try:
            return services.accept(meeting)
        except services.MeetingRefused as refused:
            return refused

    return job


def forty_pairs_for_one_slot():
    event = networking_event()
    the_slot = slot(event, at(10), at(10, 20), tables=TABLES)
    meetings = [services.request_meeting(person(event), person(event), "") for _ in range(PAIRS)]
    return the_slot, meetings


def test_forty_accepts_racing_for_one_slot_never_share_a_table(slow_table_count):
    the_slot, meetings = forty_pairs_for_one_slot()
    results, errors = at_once(*map(accept_or_refusal, meetings))
    assert errors == []
    accepted = Meeting.objects.filter(status="accepted")
    assert sorted(accepted.values_list("table", flat=True)) == list(range(1, TABLES + 1))
    assert set(accepted.values_list("slot", flat=True)) == {the_slot.pk}
    refused = [result for result in results if isinstance(result, services.MeetingRefused)]
    assert len(refused) == PAIRS - TABLES and all("No meeting slot has a free table" in str(r) for r in refused)
    assert Meeting.objects.filter(status="requested").count() == PAIRS - TABLES  # they stay open


def test_negative_control_without_the_slot_lock_accepts_take_the_same_table(monkeypatch, slow_table_count):
    monkeypatch.setattr(services, "lock_slots", lambda slot_ids: list(
        services.MeetingSlot.objects.filter(pk__in=sorted(set(slot_ids))).order_by("pk")))
    _the_slot, meetings = forty_pairs_for_one_slot()
    _results, errors = at_once(*map(accept_or_refusal, meetings))
    # The race happened: only the partial unique index on (slot, table) stopped it.
    assert any(isinstance(error, IntegrityError) and "meeting_one_per_table_and_slot" in str(error)
               for error in errors), errors


def one_person_asked_by_six():
    event = networking_event()
    for hour in range(9, 15):
        slot(event, at(hour), at(hour, 20), tables=10)
    hub = person(event, first_name="Hub")
    return hub, [services.request_meeting(person(event), hub, "") for _ in range(6)]


def places_of(hub):
    mine = Meeting.objects.filter(status="accepted").filter(requester=hub) | Meeting.objects.filter(
        status="accepted", invitee=hub)
    return list(mine.values_list("slot", flat=True))


def test_one_person_accepting_six_requests_at_once_is_never_in_two_places(slow_table_count):
    hub, meetings = one_person_asked_by_six()
    results, errors = at_once(*map(accept_or_refusal, meetings))
    assert errors == [] and all(isinstance(result, Meeting) for result in results), results
    slots = places_of(hub)
    assert len(slots) == 6 and len(set(slots)) == 6


def test_negative_control_without_the_registration_locks_one_person_is_in_two_places(monkeypatch, slow_table_count):
    monkeypatch.setattr(services, "lock_registrations", lambda *ids: {})
    hub, meetings = one_person_asked_by_six()
    at_once(*map(accept_or_refusal, meetings))
    slots = places_of(hub)
    assert len(slots) > len(set(slots)), slots


def test_requests_racing_between_two_people_make_one(monkeypatch):
    event = networking_event()
    ane, ben = person(event), person(event)
    results, errors = at_once(lambda: services.request_meeting(ane, ben, ""), lambda: services.request_meeting(ben, ane, ""))
    assert Meeting.objects.count() == 1
    assert len(errors) == 1 and isinstance(errors[0], services.MeetingRefused)
    assert Profile.objects.count() == 2
