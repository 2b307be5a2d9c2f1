"""Where a run's starting weights come from, without training knowing who keeps them.

The weights store lives a floor above (the registry: model versions and uploaded files);
it registers its lookup here when it starts (``registry.apps``). Training asks by the
reference a user wrote (``version:12``, ``upload:3``) and gets the file with its sha256,
or ``WeightsUnavailable`` with a sentence.
"""

from __future__ import annotations

from collections.abc import Callable

from core.training.startweights import StartingWeights

Lookup = Callable[[str, str], StartingWeights]
_lookup: Lookup | None = None


class WeightsUnavailable(ValueError):
    """The reference names no file that can start this model; the message says why and what to pick."""


def provide(lookup: Lookup) -> None:
    """Install the store's lookup ``(reference, model_type) -> StartingWeights``."""
    global _lookup
    _lookup = lookup


def starting_weights(reference: str, model_type: str) -> StartingWeights:
    """The store file ``reference`` names for a run of ``model_type``; the trainer checks its sha256 before loading."""
    if _lookup is None:
        raise WeightsUnavailable("No weights store is installed, so starting weights cannot be chosen; leave 'weights' empty.")
    return _lookup(reference, model_type)
