import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem_analytics.telemetry.domain import SignatureError, WebhookHeaders, signature, verify

# The example from the Standard Webhooks reference libraries' test suites.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_spec_vector() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE


def test_verify_spec_vector() -> None:
    headers = WebhookHeaders(SPEC_ID, str(SPEC_TS), SPEC_SIGNATURE)
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS + 10, tolerance=300) == SPEC_TS


def test_one_valid_among_several_signatures() -> None:
    sig = f"v1,{base64.b64encode(b'x' * 32).decode()} v2,abc {SPEC_SIGNATURE}"
    headers = WebhookHeaders(SPEC_ID, str(SPEC_TS), sig)
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS, tolerance=300) == SPEC_TS


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (WebhookHeaders(None, str(SPEC_TS), SPEC_SIGNATURE), "Missing header(s): webhook-id."),
        (WebhookHeaders(SPEC_ID, None, None), "Missing header(s): webhook-timestamp, webhook-signature."),
        (WebhookHeaders(SPEC_ID, "yesterday", SPEC_SIGNATURE), "webhook-timestamp must be integer"),
        (WebhookHeaders(SPEC_ID, str(SPEC_TS), "v1,AAAA"), "No webhook-signature matches"),
        (WebhookHeaders(SPEC_ID, str(SPEC_TS), SPEC_SIGNATURE.replace("v1,", "v2,")), "No webhook-signature"),
        (WebhookHeaders("msg_other", str(SPEC_TS), SPEC_SIGNATURE), "No webhook-signature matches"),
    ],
)
def test_refusals(headers: WebhookHeaders, reason: str) -> None:
    with pytest.raises(SignatureError) as err:
        verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS, tolerance=300)
    assert err.value.reason.startswith(reason)


@given(skew=st.integers(min_value=-10_000, max_value=10_000))
def test_window_is_inclusive_five_minutes(skew: int) -> None:
    headers = WebhookHeaders(SPEC_ID, str(SPEC_TS), SPEC_SIGNATURE)
    if abs(skew) <= 300:
        assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS + skew, tolerance=300) == SPEC_TS
    else:
        with pytest.raises(SignatureError, match="outside the accepted window"):
            verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TS + skew, tolerance=300)


@given(body=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=199))
def test_any_changed_body_is_refused(body: bytes, flip: int) -> None:
    sig = signature(SPEC_SECRET, SPEC_ID, SPEC_TS, body)
    tampered = (
        body + b"x"
        if not body
        else body[: flip % len(body)] + bytes([body[flip % len(body)] ^ 1]) + body[flip % len(body) + 1 :]
    )
    with pytest.raises(SignatureError):
        verify(SPEC_SECRET, WebhookHeaders(SPEC_ID, str(SPEC_TS), sig), tampered, now=SPEC_TS, tolerance=300)
