from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("response", "0002_security"),
        ("incidents", "0025_security_exercise_participants_verification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = []
