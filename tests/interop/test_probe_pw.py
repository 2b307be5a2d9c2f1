"""Two annotators' imports meeting in what they share: the saved label mappings."""

from __future__ import annotations

from accounts.users import create_user_with_role
from annotations.models import LabelMapping
from tests.conftest import PASSWORD
from tests.interop.test_pages import legacy_zip


def map_and_save(client, user, defect: str, save_as: str):  # type: ignore[no-untyped-def]
    """Start an import of the legacy zip, map every label to ``defect`` and send the dry run, saving the mapping."""
    client.login(username=user.username, password=PASSWORD)
    started = client.post("/import/", {"file": legacy_zip(), "format": "auto"})
    page = client.get(started["Location"])
    form = {f"labels-{row['index']}-defect": defect for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "" for row in page.context["rows"]["labels"]})
    for row in page.context["rows"]["attributes"]:
        form[f"attributes-{row['index']}-view"] = row["view"]
        form[f"attributes-{row['index']}-defect"] = ""
    form.update(outside="clip", save_as=save_as)
    return client.post(started["Location"], form)


def test_saving_a_mapping_under_a_name_another_annotator_uses_keeps_theirs_and_says_so(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """Anna saved her desktop-tool mapping as "lot mapping". Bob, importing another export, typed the same name to save
    his own: Anna's mapping was replaced without a word (its creator now Bob), and her next import that loaded
    "lot mapping" brought every box in as TOUCH."""
    bob = create_user_with_role("bob", PASSWORD, "annotator")
    map_and_save(client, annotator, "SWEEP", "lot mapping")
    report = map_and_save(client, bob, "TOUCH", "lot mapping")
    assert report.status_code == 200  # Bob's dry run is still shown, with his mapping
    saved = LabelMapping.objects.get(name="lot mapping")
    assert saved.created_by == annotator and {entry["defect"] for entry in saved.mapping["labels"].values()} == {"SWEEP"}
    said = [str(message) for message in report.context["messages"]]
    assert any('"lot mapping" is anna\'s' in message and "choose another name" in message for message in said), said


def test_saving_your_own_mapping_again_under_its_name_updates_it(client, annotator) -> None:  # type: ignore[no-untyped-def]
    map_and_save(client, annotator, "SWEEP", "lot mapping")
    map_and_save(client, annotator, "WOBBLE", "lot mapping")
    saved = LabelMapping.objects.get(name="lot mapping")
    assert {entry["defect"] for entry in saved.mapping["labels"].values()} == {"WOBBLE"}


def test_a_mapping_name_longer_than_the_field_is_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """A name over 100 characters under "Save this mapping as" was a database error on PostgreSQL (a 500 that lost the
    dry run) and was stored whole on SQLite."""
    report = map_and_save(client, annotator, "SWEEP", "m" * 101)
    assert report.status_code == 200
    assert not LabelMapping.objects.exists()
    said = [str(message) for message in report.context["messages"]]
    assert any("at most 100 characters" in message for message in said), said
