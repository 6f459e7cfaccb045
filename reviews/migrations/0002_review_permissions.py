"""Give the roles their review permissions: incident managers everything; desk agents and resolvers
read reviews and change action items (the admin limits that to the items they own)."""

from django.db import migrations

READ_AND_OWN_ACTIONS = [
    "view_postincidentreview", "view_timelineentry", "view_actionitem", "change_actionitem",
]
ROLE_PERMISSIONS = {
    "Service desk agent": READ_AND_OWN_ACTIONS,
    "Resolver": READ_AND_OWN_ACTIONS,
}
MANAGER = "Incident manager"


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the groups get them.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviews = Permission.objects.filter(content_type__app_label="reviews")
    manager, _ = Group.objects.get_or_create(name=MANAGER)
    manager.permissions.add(*reviews)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*reviews.filter(codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviews = Permission.objects.filter(content_type__app_label="reviews")
    for group in Group.objects.filter(name__in=[MANAGER, *ROLE_PERMISSIONS]):
        group.permissions.remove(*reviews)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("incidents", "0002_roles_and_defaults"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
