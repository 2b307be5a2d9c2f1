"""One module per foreign format; each reads into and writes from ``interop.dataset``."""
