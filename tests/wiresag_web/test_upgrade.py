"""An installation made before the apps were split (accounts, interop, review) upgrades with ``migrate`` and loses nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

#: The newest migration of each app on the main branch before the split; accounts and interop did not exist.
BEFORE_SPLIT = [
    ("annotations", "0003_wire_group_validator"),
    ("training", "0003_maintenance_schedule"),
    ("registry", "0002_weights_file"),
    ("accounts", None),
    ("interop", None),
]


@pytest.mark.django_db(transaction=True)
def test_an_installation_from_before_the_split_migrates_and_keeps_its_roles_users_and_pictures() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_SPLIT)
    old = executor.loader.project_state([node for node in BEFORE_SPLIT if node[1]]).apps
    # What such an installation holds: the role groups its annotations.0002 made, a user in one, a picture.
    groups = {name: old.get_model("auth", "Group").objects.get_or_create(name=name)[0].pk for name in ("annotator", "engineer", "admin")}
    user = old.get_model("auth", "User").objects.create(username="shift-a")
    user.groups.add(groups["annotator"])
    old.get_model("annotations", "Image").objects.create(
        file="images/ab/ab.png", original_name="w1_TOP.png", sha256="ab" * 32, width=4, height=4, wire_id="w1", view="TOP"
    )
    old.get_model("django_q", "Schedule").objects.filter(name="interop-expire-imports").delete()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.auth.models import Group, User
    from django_q.models import Schedule

    from annotations.models import Image

    assert {g.name: g.pk for g in Group.objects.all()} == groups
    assert list(User.objects.get(username="shift-a").groups.values_list("name", flat=True)) == ["annotator"]
    assert Image.objects.get().original_name == "w1_TOP.png"
    assert Schedule.objects.get(name="interop-expire-imports").func == "interop.jobs.expire_abandoned"


@pytest.mark.django_db(transaction=True)
def test_pictures_imported_from_the_desktop_tool_get_their_views_paired_on_upgrade() -> None:
    before = [("annotations", "0003_wire_group_validator")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("annotations", "Image")
    for index, (group, view) in enumerate([("Top/沖線", "TOP"), ("Side/沖線", "SIDE"), ("lot7", "TOP")]):
        old.objects.create(
            file=f"images/{index}.png",
            original_name=f"001_{view}.jpg",
            sha256=f"{index}" * 64,
            width=4,
            height=4,
            wire_id="001",
            wire_group=group,
            view=view,
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from annotations.models import Image

    assert sorted(Image.objects.values_list("wire_group", "view")) == [("lot7", "TOP"), ("沖線", "SIDE"), ("沖線", "TOP")]
