"""Two groups for the people who run an event:
- Organisers edit the agenda and see the registrations;
- Registration staff see the agenda, see and correct registrations (and resend their emails),
  export attendee lists and check participants in at the door."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENDA_MODELS = ["event", "platform", "partnership", "room", "speaker", "session"]
REGISTRATION_MODELS = ["registration", "booking", "outgoingemail", "answer"]
# The sign-up form's questions, which organisers write (models of 0006: migration 0007 runs
# make_groups again once they exist).
QUESTION_MODELS = ["question", "questionoption"]
# Invitations (0008), which organisers send, and mailings (0009), which they write; Registration
# staff send mailings (send_mailing).
ORGANISER_MODELS = QUESTION_MODELS + ["invitation", "mailing"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this one needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    make_groups(apps)


def make_groups(apps):
    """Also called by the tests, after a flush of the test database has removed the groups."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(app_label, codenames):
        return list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))

    view_registrations = perms("registrations", [f"view_{model}" for model in REGISTRATION_MODELS + ORGANISER_MODELS])
    edit_questions = perms(
        "registrations", [f"{action}_{model}" for model in ORGANISER_MODELS for action in ("add", "change", "delete")]
    ) + perms("registrations", ["admit"])
    edit_agenda = perms(
        "agenda", [f"{action}_{model}" for model in AGENDA_MODELS for action in ("add", "change", "delete", "view")]
    )
    organisers, _ = Group.objects.get_or_create(name="Organisers")
    organisers.permissions.add(*edit_agenda, *view_registrations, *edit_questions)
    staff, _ = Group.objects.get_or_create(name="Registration staff")
    view_agenda = perms("agenda", [f"view_{model}" for model in AGENDA_MODELS])
    staff.permissions.add(
        *view_registrations,
        *view_agenda,
        *perms("registrations", ["change_registration", "change_outgoingemail", "export_attendees", "check_in",
                                 "view_mailing", "add_mailing", "change_mailing", "send_mailing"]),
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Organisers", "Registration staff"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0001_initial"),
        ("agenda", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
