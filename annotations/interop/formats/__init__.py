"""One module per foreign format; each reads into and writes from ``annotations.interop.dataset``."""
