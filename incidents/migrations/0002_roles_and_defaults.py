"""Roles (Django groups with their permissions), the default priority matrix and the reference
sequence. Teams, categories and users are data an organisation enters itself (`seed_demo` makes
a demo set)."""

from django.db import migrations

ROLE_PERMISSIONS = {
    "Reporter": [],
    "Service desk agent": [
        "incidents.view_incident", "incidents.add_incident", "incidents.change_incident",
        "incidents.triage_incident", "incidents.work_incident",
        "incidents.view_comment", "incidents.add_comment",
        "incidents.view_attachment", "incidents.add_attachment",
        "incidents.view_team", "incidents.view_category", "incidents.view_service",
        "incidents.view_priorityrule", "incidents.view_incidentevent",
    ],
    "Resolver": [
        "incidents.view_incident", "incidents.change_incident", "incidents.work_incident",
        "incidents.view_comment", "incidents.add_comment",
        "incidents.view_attachment", "incidents.add_attachment",
        "incidents.view_team", "incidents.view_category", "incidents.view_service",
        "incidents.view_incidentevent",
    ],
    "Incident manager": [
        "incidents.view_incident", "incidents.add_incident", "incidents.change_incident",
        "incidents.triage_incident", "incidents.work_incident",
        "incidents.view_comment", "incidents.add_comment",
        "incidents.view_attachment", "incidents.add_attachment",
        "incidents.view_team", "incidents.add_team", "incidents.change_team",
        "incidents.view_category", "incidents.add_category", "incidents.change_category",
        "incidents.view_service", "incidents.add_service", "incidents.change_service",
        "incidents.view_priorityrule", "incidents.change_priorityrule",
        "incidents.view_incidentevent",
    ],
}

MATRIX = {
    ("high", "high"): 1,
    ("high", "medium"): 2, ("medium", "high"): 2,
    ("high", "low"): 3, ("medium", "medium"): 3, ("low", "high"): 3,
    ("medium", "low"): 4, ("low", "medium"): 4, ("low", "low"): 4,
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the groups get them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

    PriorityRule = apps.get_model("incidents", "PriorityRule")
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})

    Sequence = apps.get_model("incidents", "Sequence")
    Sequence.objects.get_or_create(name="incident")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
