"""Saved upload profiles: one checked, schema-versioned JSON file per profile, never a secret."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from capi_desktop.core.mapping import ColumnMapping, Field, ImportOptions, RuleChoice
from capi_desktop.core.normalise.dates import DateOrder
from capi_desktop.core.storage import StorageError
from capi_desktop.core.stores import profile as profile_model
from capi_desktop.core.stores import profile_format, profiles
from capi_desktop.core.stores.profiles import Profile, ProfileError, ProfileStore, file_name_for

TOP_KEYS = {
    "kind",
    "schema_version",
    "name",
    "account_id",
    "rules",
    "mapping",
    "sheet",
    "header_row",
    "timezone",
    "date_order",
    "created_at",
    "updated_at",
}
SAFE_FILE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{10}\.json$")


class Clock:
    """A clock the test moves by hand, so timestamps can be checked exactly."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> ProfileStore:
    return ProfileStore(tmp_path / "mine" / "profiles", clock=clock)


@pytest.fixture
def colleague(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "colleague" / "profiles")


def make_profile(name: str = "Q3 / EMEA", **changes: Any) -> Profile:
    fields: dict[str, Any] = {
        "name": name,
        "account_id": 512345678,
        "rules": RuleChoice(by_event={"lead": 22285180, "purchase": 22285181}),
        "mapping": ColumnMapping(
            columns={
                Field.EMAIL: ("Work Email", "Personal Email"),
                Field.CONVERSION_TIME: ("Close Date",),
                Field.EVENT_NAME: ("Stage",),
                Field.EVENT_ID: ("Deal ID",),
            },
            currency="EUR",
            value=Decimal("99.50"),
        ),
        "sheet": "Deals ",  # Excel allows a trailing space; it must survive
        "header_row": 3,
        "timezone": "Europe/Berlin",
        "date_order": DateOrder.DMY,
    }
    fields.update(changes)
    return Profile(**fields)


def valid_dict(**changes: Any) -> dict[str, Any]:
    data = make_profile().to_dict()
    data.update(changes)
    return data


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def choices(profile: Profile) -> Profile:
    """The profile without its timestamps, for comparing what the user chose."""
    return Profile(**{**profile.__dict__, "created_at": None, "updated_at": None})


# Round trips --------------------------------------------------------------------------------------


def test_save_then_load_gives_back_every_choice(store: ProfileStore) -> None:
    original = make_profile()
    saved = store.save(original)
    loaded = ProfileStore(store.folder).load("Q3 / EMEA")  # a new store: read from disk, not memory
    assert choices(loaded) == original
    assert loaded == saved
    assert loaded.created_at == loaded.updated_at == "2026-06-01T09:30:00Z"
    assert loaded.mapping.value == Decimal("99.50") and loaded.sheet == "Deals "
    assert loaded.event_ids_from_column


def test_single_rule_and_defaults_round_trip(store: ProfileStore) -> None:
    original = Profile(name="Simple", account_id=None, rules=RuleChoice(rule_id=7), mapping=ColumnMapping())
    store.save(original)
    loaded = store.load("simple")
    assert choices(loaded) == original
    assert loaded.date_order is DateOrder.AUTO and loaded.timezone is None and loaded.sheet is None
    assert not loaded.event_ids_from_column


def test_import_options_round_trip(store: ProfileStore) -> None:
    options = ImportOptions(
        rules=RuleChoice(rule_id=42),
        mapping=ColumnMapping(columns={Field.EMAIL: ("E-Mail",), Field.CONVERSION_TIME: ("Datum",)}, currency="USD"),
        timezone="America/New_York",
        date_order=DateOrder.MDY,
    )
    profile = Profile.from_options("From preview", 99, "Sheet1", 2, options)
    store.save(profile)
    loaded = store.load("FROM PREVIEW")
    assert loaded.import_options() == options
    assert (loaded.account_id, loaded.sheet, loaded.header_row) == (99, "Sheet1", 2)


def test_saving_normalises_what_the_user_typed(store: ProfileStore) -> None:
    saved = store.save(make_profile("  Weekly  ", timezone="europe/berlin", rules=RuleChoice(by_event={"LEAD": 1})))
    assert saved.name == "Weekly"
    assert saved.timezone == "Europe/Berlin"
    assert saved.rules.by_event == {"lead": 1}
    assert store.load("weekly") == saved


def test_file_holds_exactly_the_expected_keys(store: ProfileStore) -> None:
    store.save(make_profile())
    (path,) = store.folder.iterdir()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == TOP_KEYS
    assert data["kind"] == "capi-desktop-profile" and data["schema_version"] == 1
    assert set(data["rules"]) == {"rule_id", "by_event"}
    assert set(data["mapping"]) == {"columns", "currency", "value", "event_name"}
    assert set(data["mapping"]["columns"]) == {"email", "time", "event_name", "event_id"}
    assert data["mapping"]["value"] == "99.50"  # as text: no float rounding
    assert data["date_order"] == "DMY"
    text = path.read_text(encoding="utf-8").lower()
    assert "token" not in text and "secret" not in text


# Names --------------------------------------------------------------------------------------------


def test_names_are_case_insensitive(store: ProfileStore, clock: Clock) -> None:
    store.save(make_profile("Q3 / EMEA"))
    assert store.load("q3 / emea").name == "Q3 / EMEA"
    assert store.load("  Q3 / eMeA ").name == "Q3 / EMEA"
    with pytest.raises(ProfileError, match="already exists"):
        store.save(make_profile("q3 / EMEA"))
    clock.tick()
    replaced = store.save(make_profile("q3 / emea", account_id=1), overwrite=True)
    assert [p.name for p in store.list()] == ["q3 / emea"]
    assert len(list(store.folder.iterdir())) == 1
    assert replaced.account_id == 1
    assert replaced.created_at == "2026-06-01T09:30:00Z" and replaced.updated_at == "2026-06-01T09:31:00Z"


def test_list_is_sorted_case_insensitively(store: ProfileStore) -> None:
    for name in ("beta", "Gamma", "alpha 2", "Alpha"):
        store.save(make_profile(name))
    assert [p.name for p in store.list()] == ["Alpha", "alpha 2", "beta", "Gamma"]
    assert store.problems == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "Give the profile a name"),
        ("   ", "Give the profile a name"),
        ("x" * 81, "at most 80 characters"),
        ("two\nlines", "control characters"),
        ("tab\there", "control characters"),
        ("nul\x00", "control characters"),
        ("bell\x07", "control characters"),
        ("line\u2028separator", "control characters"),
        ("evil\u202eexe.txt", "control characters"),
    ],
)
def test_bad_names_are_refused(store: ProfileStore, name: str, reason: str) -> None:
    with pytest.raises(ProfileError, match=reason):
        store.save(make_profile(name))
    assert not store.folder.exists() or list(store.folder.iterdir()) == []


def test_longest_name_is_accepted(store: ProfileStore) -> None:
    name = "é" * 80
    assert store.save(make_profile(name)).name == name


WINDOWS_UNSAFE = [
    "Q3 / EMEA",
    "Q3 \\ EMEA",
    "../../etc/passwd",
    "CON",
    "nul",
    "LPT1",
    "a:b*c?",
    '<"quoted">|pipe',
    "ends with a dot.",
    "ends with a space ",
    ".",
    "..",
    "Ünïcödé 東京 €",
    "東京",
    "🙂",
    "x" * 80,
]


def test_windows_unsafe_names_get_safe_distinct_file_names(store: ProfileStore) -> None:
    for name in WINDOWS_UNSAFE:
        store.save(make_profile(name))
    files = sorted(p.name for p in store.folder.iterdir())
    assert len(files) == len(WINDOWS_UNSAFE)
    for file_name in files:
        assert SAFE_FILE_NAME.match(file_name), file_name
        assert len(file_name) <= 60  # the hash suffix also keeps "con-….json" clear of Windows' device names
    assert {p.name for p in store.list()} == {n.strip() for n in WINDOWS_UNSAFE}
    for name in WINDOWS_UNSAFE:
        assert store.load(name).name == name.strip()
    assert not (store.folder.parent / "etc").exists()


def test_file_names_follow_the_name_not_its_spelling() -> None:
    assert file_name_for("Q3 / EMEA") == file_name_for("q3 / emea")
    assert file_name_for("Q3 / EMEA") != file_name_for("Q3 EMEA")  # same slug, different profile
    assert file_name_for("Q3 / EMEA").startswith("q3-emea-")
    assert file_name_for("東京").startswith("profile-")


# Rename and delete --------------------------------------------------------------------------------


def test_rename(store: ProfileStore, clock: Clock) -> None:
    store.save(make_profile("Old"))
    clock.tick()
    renamed = store.rename("old", "New / Name")
    assert renamed.name == "New / Name" and renamed.updated_at == "2026-06-01T09:31:00Z"
    assert renamed.created_at == "2026-06-01T09:30:00Z"
    assert [p.name for p in store.list()] == ["New / Name"]
    assert [p.name for p in store.folder.iterdir()] == [file_name_for("New / Name")]
    with pytest.raises(ProfileError, match="no profile called “Old”"):
        store.load("Old")


def test_rename_onto_an_existing_name_is_refused(store: ProfileStore) -> None:
    store.save(make_profile("First", account_id=1))
    store.save(make_profile("Second", account_id=2))
    with pytest.raises(ProfileError, match="“Second” already exists"):
        store.rename("First", "SECOND")
    assert store.load("first").account_id == 1 and store.load("second").account_id == 2


def test_rename_can_change_only_the_case(store: ProfileStore) -> None:
    store.save(make_profile("emea"))
    store.rename("emea", "EMEA")
    assert [p.name for p in store.list()] == ["EMEA"]
    assert len(list(store.folder.iterdir())) == 1


def test_rename_to_a_bad_name_keeps_the_profile(store: ProfileStore) -> None:
    store.save(make_profile("Keep"))
    with pytest.raises(ProfileError, match="Give the profile a name"):
        store.rename("Keep", " ")
    assert store.load("Keep").name == "Keep"


def test_delete(store: ProfileStore) -> None:
    store.save(make_profile("Gone"))
    store.save(make_profile("Stays"))
    assert store.delete("GONE").name == "Gone"
    assert [p.name for p in store.list()] == ["Stays"]
    with pytest.raises(ProfileError, match="no profile called “Gone”. Saved profiles: Stays."):
        store.delete("Gone")


def test_missing_profile_lists_what_exists(store: ProfileStore) -> None:
    with pytest.raises(ProfileError, match="no profiles are saved yet"):
        store.load("anything")
    store.save(make_profile("b"))
    store.save(make_profile("A"))
    with pytest.raises(ProfileError, match=r"no profile called “c”\. Saved profiles: A, b\."):
        store.load("c")


# Export and import --------------------------------------------------------------------------------


def test_export_then_import_on_a_colleagues_computer(
    store: ProfileStore, colleague: ProfileStore, tmp_path: Path
) -> None:
    store.save(make_profile())
    shared = store.export("q3 / emea", tmp_path / "share" / "emea.json")
    assert shared == tmp_path / "share" / "emea.json"
    assert set(json.loads(shared.read_text(encoding="utf-8"))) == TOP_KEYS

    imported = colleague.import_file(shared)
    assert choices(imported) == make_profile()
    assert colleague.load("Q3 / EMEA") == imported
    assert colleague.warnings == []
    assert [p.name for p in colleague.folder.iterdir()] == [file_name_for("Q3 / EMEA")]


def test_import_under_another_name_and_overwrite(store: ProfileStore, colleague: ProfileStore, tmp_path: Path) -> None:
    store.save(make_profile("Shared", account_id=1))
    shared = store.export("Shared", tmp_path / "shared.json")
    colleague.save(make_profile("Shared", account_id=2))
    with pytest.raises(ProfileError, match="already exists here"):
        colleague.import_file(shared)
    assert colleague.load("Shared").account_id == 2

    copy = colleague.import_file(shared, name="Shared (from Sam)")
    assert copy.name == "Shared (from Sam)" and copy.account_id == 1
    colleague.import_file(shared, overwrite=True)
    assert colleague.load("Shared").account_id == 1
    with pytest.raises(ProfileError, match="Give the profile a name"):
        colleague.import_file(shared, name="  ")


def test_export_into_a_folder_and_no_silent_overwrite(store: ProfileStore, tmp_path: Path) -> None:
    store.save(make_profile("Q3 / EMEA"))
    folder = tmp_path / "out"
    folder.mkdir()
    written = store.export("Q3 / EMEA", folder)
    assert written == folder / file_name_for("Q3 / EMEA")
    with pytest.raises(ProfileError, match="already exists"):
        store.export("Q3 / EMEA", written)
    written.write_text("someone's notes")
    store.export("Q3 / EMEA", written, overwrite=True)
    assert json.loads(written.read_text(encoding="utf-8"))["name"] == "Q3 / EMEA"


def test_import_of_what_is_not_a_profile(store: ProfileStore, tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="There is no file"):
        store.import_file(tmp_path / "missing.json")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(ProfileError, match="damaged or not a CAPI Desktop profile"):
        store.import_file(garbage)
    binary = tmp_path / "picture.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ProfileError, match="not a text file"):
        store.import_file(binary)
    big = tmp_path / "big.json"
    big.write_text(" " * (profiles.MAX_FILE_BYTES + 1))
    with pytest.raises(ProfileError, match="too large"):
        store.import_file(big)
    settings = write_json(tmp_path / "settings.json", {"schema_version": 1, "api_version": "202606"})
    with pytest.raises(ProfileError, match="not a CAPI Desktop profile"):
        store.import_file(settings)
    assert store.list() == []


def test_import_accepts_a_utf8_bom(store: ProfileStore, tmp_path: Path) -> None:
    path = tmp_path / "notepad.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(valid_dict()).encode())
    assert store.import_file(path).name == "Q3 / EMEA"


# Validation ---------------------------------------------------------------------------------------


def test_newer_schema_is_refused(store: ProfileStore, tmp_path: Path) -> None:
    newer = write_json(tmp_path / "newer.json", valid_dict(schema_version=2, something_new={"x": 1}))
    with pytest.raises(ProfileError, match="newer version of CAPI Desktop. Update the app"):
        store.import_file(newer)


def test_newer_file_in_the_folder_is_reported_and_left_alone(store: ProfileStore) -> None:
    store.save(make_profile("Mine"))
    newer = write_json(store.folder / "from-the-future.json", valid_dict(name="Future", schema_version=99))
    before = newer.read_bytes()
    assert [p.name for p in store.list()] == ["Mine"]
    assert len(store.problems) == 1 and "Update the app" in store.problems[0].message
    assert newer.read_bytes() == before


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": "something-else"}, "not a CAPI Desktop profile"),
        ({"kind": None}, "not a CAPI Desktop profile"),
        ({"schema_version": "1"}, "no valid format version"),
        ({"schema_version": 0}, "no valid format version"),
        ({"schema_version": True}, "no valid format version"),
        ({"name": None}, "has no “name”"),
        ({"name": 5}, "“name” should be text"),
        ({"name": "a\nb"}, "control characters"),
        ({"account_id": "512345678"}, "“account_id” should be a positive whole number"),
        ({"account_id": 0}, "“account_id” should be a positive whole number"),
        ({"account_id": 1.5}, "“account_id” should be a positive whole number"),
        ({"account_id": 2**64}, "too large"),
        ({"rules": None}, "“rules” should be a group"),
        ({"rules": {"rule_id": -3, "by_event": {}}}, "“rules.rule_id” should be a positive whole number"),
        ({"rules": {"rule_id": True, "by_event": {}}}, "“rules.rule_id” should be a positive whole number"),
        ({"rules": {"rule_id": "22285180"}}, "“rules.rule_id” should be a positive whole number"),
        ({"rules": {"by_event": {"lead": "22285180"}}}, "rule for the event “lead” should be a rule id"),
        ({"rules": {"by_event": {"lead": 0}}}, "rule for the event “lead” should be a rule id"),
        ({"rules": {"by_event": {" ": 1}}}, "empty event name"),
        ({"rules": {"by_event": {"Lead": 1, "LEAD": 2}}}, "mapped to two different rules"),
        ({"rules": {"by_event": ["lead", 1]}}, "should map event names to rule ids"),
        ({"rules": {"rule_id": None, "by_event": {}}}, "names no conversion rule"),
        ({"rules": {"rule_id": 1, "by_event": {"lead": 2}}}, "both one rule and an event-name map"),
        ({"mapping": []}, "“mapping” should be a group"),
        ({"mapping": {"columns": {"emial": ["Email"]}}}, "“emial” is not a field"),
        ({"mapping": {"columns": {"email": [1]}}}, "should be a list of column names"),
        ({"mapping": {"columns": {"email": [""]}}}, "should be a list of column names"),
        ({"mapping": {"columns": ["email"]}}, "should map fields to column names"),
        ({"mapping": {"value": "lots"}}, "is not a number"),
        ({"mapping": {"value": True}}, "should be a number"),
        ({"mapping": {"currency": "dollars and cents"}}, "currency"),
        ({"mapping": {"currency": 840}}, "“mapping.currency” should be text"),
        ({"sheet": ["Deals"]}, "“sheet” should be text"),
        ({"header_row": 0}, "“header_row” should be a positive whole number"),
        ({"timezone": "Mars/Olympus_Mons"}, "not a time zone name we know"),
        ({"date_order": "DDMMYY"}, "“date_order” must be one of"),
        ({"created_at": "last Tuesday"}, "“created_at” should be a date and time"),
    ],
)
def test_every_field_is_checked(store: ProfileStore, tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
    path = write_json(tmp_path / "edited.json", valid_dict(**changes))
    with pytest.raises(ProfileError, match=re.escape(reason)):
        store.import_file(path)
    assert store.list() == []


def test_a_list_instead_of_a_profile(store: ProfileStore, tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="not a CAPI Desktop profile"):
        store.import_file(write_json(tmp_path / "list.json", [valid_dict()]))


def test_lenient_where_meaning_is_clear(store: ProfileStore, tmp_path: Path) -> None:
    changes = {
        "date_order": "dmy",
        "created_at": 1780000000,
        "mapping": {"columns": {"email": "Email", "time": ["When"]}, "currency": "€", "value": 100},
        "rules": {"rule_id": 5},
    }
    imported = store.import_file(write_json(tmp_path / "hand.json", valid_dict(**changes)))
    assert imported.date_order is DateOrder.DMY
    assert imported.mapping.columns[Field.EMAIL] == ("Email",)
    assert imported.mapping.currency == "EUR" and imported.mapping.value == Decimal(100)
    assert imported.rules == RuleChoice(rule_id=5)


def test_unknown_fields_are_ignored_with_a_warning_and_not_kept(
    store: ProfileStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = valid_dict(colour="blue", notes={"who": "Sam"})
    data["mapping"]["column_widths"] = [10, 20]
    data["rules"]["comment"] = "from Sam"
    with caplog.at_level(logging.WARNING, logger="capi_desktop.core.stores.profiles"):
        imported = store.import_file(write_json(tmp_path / "extra.json", data))
    assert choices(imported) == make_profile()
    joined = " ".join(store.warnings)
    assert "colour, notes" in joined and "column_widths" in joined and "comment" in joined
    assert "colour" in caplog.text
    stored = json.loads(next(store.folder.iterdir()).read_text(encoding="utf-8"))
    assert set(stored) == TOP_KEYS and "column_widths" not in stored["mapping"]
    assert "comment" not in stored["rules"]


# Secrets ------------------------------------------------------------------------------------------

SECRET = "AQVsuper-secret-value-that-must-never-be-echoed-1234567890"


@pytest.mark.parametrize(
    "place",
    [
        lambda d: d.update(access_token=SECRET),
        lambda d: d.update(token=SECRET),
        lambda d: d.update({"Refresh-Token": SECRET}),
        lambda d: d.update(CLIENT_SECRET=SECRET),
        lambda d: d.update(linkedin_secret=SECRET),
        lambda d: d["mapping"].update(secret=SECRET),
        lambda d: d["rules"].update(api_key=SECRET),
        lambda d: d.update(extra={"auth": [{"nested": {"refresh_token": SECRET}}]}),
        lambda d: d["rules"]["by_event"].update(lead={"access_token": SECRET}),
    ],
    ids=["access_token", "token", "Refresh-Token", "CLIENT_SECRET", "suffix", "mapping", "rules", "deep", "by_event"],
)
def test_files_with_secrets_are_refused(
    store: ProfileStore, tmp_path: Path, place: Callable[[dict[str, Any]], None]
) -> None:
    data = valid_dict()
    place(data)
    path = write_json(tmp_path / "with-secret.json", data)
    with pytest.raises(ProfileError, match="never hold sign-in tokens or secrets") as refused:
        store.import_file(path)
    assert SECRET not in str(refused.value)
    assert store.list() == [] and not store.folder.exists()


def test_secret_in_a_stored_file_is_reported_not_used(store: ProfileStore) -> None:
    store.save(make_profile("Clean"))
    write_json(store.folder / "edited.json", valid_dict(name="Edited", access_token=SECRET))
    assert [p.name for p in store.list()] == ["Clean"]
    (problem,) = store.problems
    assert problem.path.name == "edited.json" and "access_token" in problem.message
    assert SECRET not in problem.message
    with pytest.raises(ProfileError, match="no profile called “Edited”"):
        store.load("Edited")


def test_an_event_called_token_is_not_a_secret(store: ProfileStore, tmp_path: Path) -> None:
    data = valid_dict(rules={"rule_id": None, "by_event": {"token": 1, "Secret Sale": 2}})
    imported = store.import_file(write_json(tmp_path / "events.json", data))
    assert imported.rules.by_event == {"token": 1, "secret sale": 2}


def test_a_profile_cannot_carry_a_secret_out() -> None:
    names = {f for f in Profile.__dataclass_fields__}
    assert not any("token" in n or "secret" in n or "password" in n for n in names)


# Damage and the folder ----------------------------------------------------------------------------


def test_damaged_file_is_reported_and_the_list_still_works(
    store: ProfileStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.save(make_profile("Good"))
    damaged = store.folder / "damaged.json"
    damaged.write_text('{"kind": "capi-desktop-profile", "schema_ver')
    write_json(store.folder / "wrong-type.json", valid_dict(name="Wrong", header_row="three"))
    (store.folder / "notes.txt").write_text("not a profile, not looked at")
    (store.folder / "subfolder.json").mkdir()
    with caplog.at_level(logging.WARNING, logger="capi_desktop.core.stores.profiles"):
        listed = store.list()
    assert [p.name for p in listed] == ["Good"]
    assert sorted(p.path.name for p in store.problems) == ["damaged.json", "wrong-type.json"]
    assert "damaged or not a CAPI Desktop profile" in caplog.text
    assert store.load("good").name == "Good"  # lookups work too
    assert damaged.exists()  # never deleted behind the user's back


def test_damaged_file_in_the_way_is_not_overwritten_silently(store: ProfileStore) -> None:
    target = store.folder / file_name_for("Budget")
    target.parent.mkdir(parents=True)
    target.write_text("{broken")
    with pytest.raises(ProfileError, match="could not be read as this profile"):
        store.save(make_profile("Budget"))
    assert target.read_text() == "{broken"
    store.save(make_profile("Budget"), overwrite=True)
    assert store.load("budget").name == "Budget"

    store.save(make_profile("Draft"))
    blocker = store.folder / file_name_for("Final")
    blocker.write_text("{broken")
    with pytest.raises(ProfileError, match="could not be read as this profile"):
        store.rename("Draft", "Final")
    assert store.load("Draft").name == "Draft" and blocker.read_text() == "{broken"


def test_hand_copied_duplicate_is_reported(store: ProfileStore) -> None:
    saved = store.save(make_profile("Twice"))
    original = store.folder / file_name_for("Twice")
    (store.folder / "zz-copy.json").write_text(original.read_text(encoding="utf-8"))
    assert store.list() == [saved]
    (problem,) = store.problems
    assert problem.path.name == "zz-copy.json" and "same name" in problem.message


def test_list_of_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "nothing here")
    assert store.list() == [] and store.problems == []
    assert not (tmp_path / "nothing here").exists()


def test_writes_are_atomic(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(make_profile("Atomic", account_id=1))
    path = store.folder / file_name_for("Atomic")
    before = path.read_bytes()

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(StorageError, match=f"not allowed to write in {re.escape(str(store.folder))}"):
        store.save(make_profile("Atomic", account_id=2), overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in store.folder.iterdir()) == [path.name]  # no temporary file left


def test_no_temporary_files_after_many_saves(store: ProfileStore) -> None:
    for i in range(5):
        store.save(make_profile("Often", account_id=i + 1), overwrite=True)
    assert [p.name for p in store.folder.iterdir()] == [file_name_for("Often")]
    if os.name == "posix":
        assert (store.folder / file_name_for("Often")).stat().st_mode & 0o777 == 0o644


# Migration ----------------------------------------------------------------------------------------


def test_migration_hook_upgrades_an_old_file_and_keeps_a_backup(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a v2 would look like: v1 is migrated in memory, backed up, and rewritten as v2."""

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["timezone"] = data.pop("tz")  # pretend v1 called the field "tz"
        return data

    old = valid_dict(name="Old format", timezone=None)
    old["tz"] = "Europe/Paris"
    path = write_json(store.folder / "old.json", old)
    original = path.read_bytes()
    monkeypatch.setattr(profile_model, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(profile_format, "_MIGRATIONS", {1: v1_to_v2})

    (loaded,) = store.list()
    assert loaded.timezone == "Europe/Paris" and store.problems == []
    assert (store.folder / "old.v1.bak").read_bytes() == original
    upgraded = json.loads(path.read_text(encoding="utf-8"))
    assert upgraded["schema_version"] == 2 and upgraded["timezone"] == "Europe/Paris" and "tz" not in upgraded
    assert store.load("old format").timezone == "Europe/Paris"


def test_old_version_without_a_migration_is_explained(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    write_json(store.folder / "v1.json", valid_dict())
    monkeypatch.setattr(profile_model, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(profile_format, "_MIGRATIONS", {2: lambda d: d})
    assert store.list() == []
    assert "format version 1, which this app cannot read" in store.problems[0].message
