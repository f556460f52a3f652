"""Organisers set meeting slots in the admin and see profiles and meetings; Registration staff
see them (the groups of registrations' migration 0002)."""
from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; these are needed now.
    app_config = apps.get_app_config("networking")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(codenames):
        return list(Permission.objects.filter(content_type__app_label="networking", codename__in=codenames))

    seeing = perms(["view_meetingslot", "view_profile", "view_meeting"])
    slots = perms([f"{action}_meetingslot" for action in ("add", "change", "delete")])
    for name, granted in [("Organisers", seeing + slots), ("Registration staff", seeing)]:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*granted)


class Migration(migrations.Migration):
    dependencies = [
        ("networking", "0001_initial"),
        ("registrations", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
