"""Two people saving a new label mapping under the same name at the same moment, on PostgreSQL.

The look-up before saving locks an existing mapping of that name, but a new name has no row to lock. When the other
person's mapping was committed between the look-up and the save, ``update_or_create`` found it and replaced it as
this user's: their labels were gone without a word, and their next import loaded someone else's mapping. (SQLite
takes its write lock at the start of the transaction, so there the two saves never interleave.)
"""

from __future__ import annotations

from pathlib import Path

from tests.wiresag_web.test_postgresql import migrate_and_run_on_postgresql, postgres_url  # noqa: F401

RACE = """
import threading
from django.contrib.auth.models import User
from django.db import connection, connections
from annotations.models import LabelMapping
assert connection.vendor == "postgresql", connection.vendor
alice, bob = User.objects.create(username="alice"), User.objects.create(username="bob")
bobs = []

def bob_saves():
    bobs.append(LabelMapping.objects.save_as("line 3", {"labels": {"bad": "TOUCH"}}, "coco", bob))
    connections.close_all()

def bob_between_the_look_up_and_the_save(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if not bobs and "annotations_labelmapping" in sql and "FOR UPDATE" in sql:
        saving = threading.Thread(target=bob_saves)
        saving.start()
        saving.join()
    return result

with connection.execute_wrapper(bob_between_the_look_up_and_the_save):
    alices = LabelMapping.objects.save_as("line 3", {"labels": {"bad": "SWEEP"}}, "coco", alice)
saved = LabelMapping.objects.get(name="line 3")
print(repr(bobs[0]))
print(alices)
print(saved.created_by.username, saved.mapping)
"""


def test_a_new_mapping_saved_by_someone_else_in_the_meantime_is_kept(postgres_url, tmp_path: Path) -> None:  # noqa: F811
    bob, alice, saved = migrate_and_run_on_postgresql(postgres_url, tmp_path, RACE).splitlines()[-3:]
    assert bob == "''"  # saved
    assert alice == (
        'The saved mapping "line 3" is bob\'s, so this mapping was not saved under that name (theirs is kept); '
        "choose another name to save it."
    )
    assert saved == "bob {'labels': {'bad': 'TOUCH'}}"
