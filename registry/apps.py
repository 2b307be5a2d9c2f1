from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Model registry"

    def ready(self) -> None:
        from registry import signals  # noqa: F401  (registers each run that succeeds)
        from registry.weights_store import store_lookup
        from training import weights_sources

        weights_sources.provide(store_lookup)
