"""Knowledge base permissions for the staff roles. Everyone on staff reads, writes and sends items
for review; incident managers also publish and retire them. Deflections are a record of what
happened, so staff may only read them."""

from django.db import migrations

EDIT = ["view", "add", "change"]
ROLE_PERMISSIONS = {
    "Service desk agent": {"knownerror": EDIT, "article": EDIT, "category": EDIT, "deflection": ["view"]},
    "Resolver": {"knownerror": EDIT, "article": EDIT, "category": EDIT, "deflection": ["view"]},
    "Incident manager": {
        "knownerror": [*EDIT, "publish"], "article": [*EDIT, "publish"], "category": EDIT, "deflection": ["view"],
    },
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the groups get them.
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("knowledge_base")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, models in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for model, actions in models.items():
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(content_type__app_label="knowledge_base", codename=f"{action}_{model}")
                )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="knowledge_base"))


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge_base", "0002_search_indexes"),
        # The roles are created there; depending on it is a migration order, not an import.
        ("incidents", "0002_roles_and_defaults"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
