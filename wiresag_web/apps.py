from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wiresag_web"
    verbose_name = "Wiresag web"
