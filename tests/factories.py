import datetime
import zoneinfo
from importlib import import_module

import factory
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.utils import timezone

from agenda.models import Event, Platform, Room, Session, Speaker
from registrations.models import Booking, Registration

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    host = "JRC"
    city = "Bilbao"
    venue = "Euskalduna"
    time_zone = "Europe/Madrid"
    start_date = datetime.date(2018, 11, 27)
    end_date = datetime.date(2018, 11, 28)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Platform {n}")
    slug = factory.Sequence(lambda n: f"platform-{n}")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 100


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Speaker {n}")
    organisation = "JRC"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    slug = factory.Sequence(lambda n: f"session-{n}")
    kind = Session.Kind.PLATFORM_MEETING
    room = factory.SubFactory(RoomFactory, event=factory.SelfAttribute("..event"))
    # Each session its own hour, so sessions made in a row never overlap.
    starts_at = factory.Sequence(
        lambda n: datetime.datetime(2018, 11, 27, 9, 0, tzinfo=MADRID) + datetime.timedelta(hours=n)
    )
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + datetime.timedelta(minutes=50))
    capacity = None
    registrable = True


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    organisation = "Basque Government"
    country = "ES"
    region = "ES21"  # País Vasco
    stakeholder_type = Registration.StakeholderType.PUBLIC_AUTHORITY
    consent_given_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def platforms(self, create, extracted, **kwargs):
        if create:
            self.platforms.set(extracted or [PlatformFactory(slug="agri-food", name="Agri-Food")])


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    registration = factory.SubFactory(RegistrationFactory)
    session = factory.SubFactory(SessionFactory, event=factory.SelfAttribute("..registration.event"))
    status = Booking.Status.CONFIRMED


def staff_user(group_name=None, username="staff"):
    """A staff account in one of the groups the migrations create ("Organisers",
    "Registration staff"), or in none."""
    if group_name and not Group.objects.filter(name=group_name).exists():
        # A transactional test before this one flushed the database, data migrations included.
        import_module("registrations.migrations.0002_staff_groups").make_groups(django_apps)
    user = User.objects.create_user(username, password="pw", is_staff=True)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


def details_for(email, **changes):
    """What a participant types about themselves, as services.register takes it."""
    details = {"first_name": email.split("@")[0], "last_name": "Tester", "email": email, "organisation": "Org",
               "country": "ES", "region": "ES21", "stakeholder_type": "research"}
    return {**details, **changes}
