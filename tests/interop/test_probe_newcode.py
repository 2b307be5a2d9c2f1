"""Re-probing today's export and import changes: what a careless user still loses."""

from __future__ import annotations

import pytest

from annotations.models import Annotation
from interop.export import EXPORT_FORMATS, ExportRefused, export_zip, select


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_an_export_of_two_pictures_of_one_name_stops_rather_than_merging_them(make_image, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """A wire's SIDE uploaded again (a new shot, the same name 002_SIDE.png): the export's stem check (002_SIDE.png
    beside 002_SIDE.jpg) let two pictures of the very same name through. The zip held two entries of one name, and
    an import kept one picture: YOLO and VOC lost one picture's boxes, the other formats put both pictures' boxes
    on the one picture left. The export now stops with a sentence naming both pictures."""
    first, again = make_image("002_SIDE.png", 80, 60), make_image("002_SIDE.png", 80, 60)
    for index, image in enumerate([first, again]):
        Annotation.objects.create(image=image, x=1 + 5 * index, y=1, width=10, height=10, view="SIDE", defect="PASS")
    target = tmp_path / "out.zip"
    with pytest.raises(ExportRefused, match=rf"named 002_SIDE\.png \(ids {first.pk} and {again.pk}\)"):
        export_zip(select(), format_name, target)
