"""The user and group admin pages, with their history (read-only: no history form saves)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from core.admin import RecordHistoryAdmin

User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(RecordHistoryAdmin, BaseUserAdmin):
    revert_instead = "accounts are changed on the user's own page, where the change is recorded"


@admin.register(Group)
class GroupAdmin(RecordHistoryAdmin, BaseGroupAdmin):
    revert_instead = "roles are changed on the group's own page, where the change is recorded"
