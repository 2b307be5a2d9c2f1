"""ASGI entry point: HTTP through Django, websockets through Channels (served by daphne)."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiresag_web.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.channels_auth import AuthMiddlewareStack  # noqa: E402  (needs the apps loaded)
from training.tensorboard_app import TensorBoardMount  # noqa: E402
from wiresag_web.routing import websocket_urlpatterns  # noqa: E402
from wiresag_web.websocket_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # /tensorboard/<run id>/ is each run's TensorBoard, behind the login; everything else is Django.
        "http": TensorBoardMount(django_asgi_app),
        # Websockets only from a page of the same origin (scheme, host and port).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far lives as long as the server. Frozen, the collector stops walking those
# ~160,000 objects: its full passes under load took 100-150 ms each (a stalled save every
# ~10 s), and take 10-20 ms now (bench/bench_annotations.py prints the effect on p99).
gc.collect()
gc.freeze()
