"""Pure rules of the Idempotency-Key layer: the key's format and the request fingerprint."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_kit.idempotency import InvalidIdempotencyKey, fingerprint, lock_id, parse_key

PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=255)
BARE = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'),
    min_size=1,
    max_size=255,
)


def sf_string(value: str) -> str:
    """RFC 8941 serialization of a string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(PRINTABLE)
def test_every_sf_string_parses_back(key: str) -> None:
    assert parse_key([sf_string(key)]) == key


@given(BARE)
def test_a_bare_token_is_its_own_key(key: str) -> None:
    assert parse_key([key]) == key
    assert parse_key([sf_string(key)]) == key


@pytest.mark.parametrize(
    "raw",
    [
        "",
        '""',
        "x" * 256,
        '"' + "x" * 256 + '"',
        "two words",
        '"unterminated',
        '"bad \\escape"',
        '"trailing" junk',
        '"tab\tinside"',
        "caf\u00e9",
        'half"quoted',
    ],
)
def test_malformed_keys_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdempotencyKey) as refused:
        parse_key([raw])
    assert refused.value.status == 400
    assert refused.value.extensions["errors"][0]["parameter"] == "Idempotency-Key"


def test_repeated_header_is_refused() -> None:
    with pytest.raises(InvalidIdempotencyKey):
        parse_key(["a", "b"])


def test_surrounding_spaces_do_not_count() -> None:
    assert parse_key(['  "k 1"  ']) == "k 1"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_fingerprint_ignores_key_order_and_spacing(body: dict[str, object]) -> None:
    compact = json.dumps(body, separators=(",", ":")).encode()
    spaced = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    assert fingerprint(compact) == fingerprint(spaced)


@given(st.dictionaries(st.text(max_size=8), st.integers(), min_size=1, max_size=6))
def test_fingerprint_changes_with_any_value(body: dict[str, int]) -> None:
    name = next(iter(body))
    changed = {**body, name: body[name] + 1}
    assert fingerprint(json.dumps(body).encode()) != fingerprint(json.dumps(changed).encode())


def test_fingerprint_of_a_non_json_body_is_of_its_bytes() -> None:
    assert fingerprint(b"a=1&b=2") != fingerprint(b"b=2&a=1")
    assert fingerprint(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_lock_ids_are_per_caller() -> None:
    assert lock_id("a", "a", "k") == lock_id("a", "a", "k")
    assert (
        len(
            {
                lock_id("a", "a", "k"),
                lock_id("b", "b", "k"),
                lock_id("a", "a", "k2"),
                lock_id("a b", "a", "k"),
            }
        )
        == 4
    )
