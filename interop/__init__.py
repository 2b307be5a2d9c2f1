"""Import from and export to the annotation formats users bring (plain-Python formats, Django layer apart)."""
