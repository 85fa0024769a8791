import uuid

from tandem_analytics.privacy.domain import is_alias, new_alias


def test_an_alias_is_a_random_version_8_uuid() -> None:
    aliases = {new_alias() for _ in range(1000)}

    assert len(aliases) == 1000
    assert {(a.version, a.variant, str(a)[14]) for a in aliases} == {(8, uuid.RFC_4122, "8")}
    assert all(is_alias(a) for a in aliases)


def test_tandem_ids_are_not_aliases() -> None:
    assert not any(is_alias(uuid.uuid4()) for _ in range(1000))
