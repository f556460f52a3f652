"""Organisers write the sign-up form's questions; staff see them and the answers (the groups of
0002, given the permissions of the models 0006 added)."""
from importlib import import_module

from django.db import migrations

staff_groups = import_module("registrations.migrations.0002_staff_groups")


class Migration(migrations.Migration):
    dependencies = [("registrations", "0006_questions_regions_new_email")]

    operations = [migrations.RunPython(staff_groups.create_groups, migrations.RunPython.noop)]
