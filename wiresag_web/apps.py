from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "wiresag_web"
    verbose_name = "Wiresag web"


class WiresagAdminConfig(admin_apps.AdminConfig):
    """Django's admin on ``WiresagAdminSite``: an action posted with odd ids gets a sentence, not a 500."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin; WebConfig stays this app's config
    default_site = "wiresag_web.admin_site.WiresagAdminSite"
