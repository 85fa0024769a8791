from collections.abc import Callable

import jwt
from fastapi import FastAPI
from sqlalchemy import text

from tandem_gateway.testing import ISSUER, bearer, create_oauth_client, fetch_token
from tandem_kit.auth import TokenVerifier
from tandem_kit.testing import asgi_client, eventually, running


def kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_rotation_publishes_first_and_keeps_old_tokens_valid(
    fresh_gateway: Callable[..., FastAPI],
) -> None:
    app = fresh_gateway(key_publish_delay_seconds=0.6)
    async with running(app), asgi_client(app) as http:
        creds = await create_oauth_client(app, "all")
        old_token = await fetch_token(http, creds)
        old_kid = kid(old_token)
        assert [k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]] == [old_kid]

        rotated = await http.post("/api/v1/admin/keys:rotate", headers=bearer(old_token))
        assert rotated.status_code == 201
        new_kid = rotated.json()["kid"]
        assert rotated.json()["state"] == "next"

        # Published at once, but not signing yet.
        published = [k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]]
        assert published == [old_kid, new_kid]
        assert kid(await fetch_token(http, creds)) == old_kid

        async def signed_by_new_key() -> str | None:
            token = await fetch_token(http, creds)
            return token if kid(token) == new_kid else None

        new_token = await eventually(signed_by_new_key, timeout=5)

        # The old key stays published, so tokens it signed are still accepted everywhere.
        jwks = (await http.get("/.well-known/jwks.json")).json()
        assert [k["kid"] for k in jwks["keys"]] == [old_kid, new_kid]
        assert (await http.get("/api/v1/admin/clients", headers=bearer(old_token))).status_code == 200
        verifier = TokenVerifier(issuer=ISSUER, audiences={"tandem"}, jwks=jwks)
        assert (await verifier.verify(old_token)).client_id == creds.client_id
        assert (await verifier.verify(new_token)).client_id == creds.client_id
        await verifier.aclose()

        states = {
            k["kid"]: k["state"]
            for k in (await http.get("/api/v1/admin/keys", headers=bearer(new_token))).json()
        }
        assert states == {old_kid: "retired", new_kid: "current"}


async def test_signing_keys_encrypted_at_rest(fresh_gateway: Callable[..., FastAPI]) -> None:
    app = fresh_gateway()
    async with running(app):
        async with app.state.database.engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT kid, private_jwk_encrypted, public_jwk FROM signing_keys"))
            ).one()
        assert row.private_jwk_encrypted.startswith("gAAAAA")  # a Fernet token
        assert '"d"' not in row.private_jwk_encrypted
        assert "d" not in row.public_jwk
        loaded = app.state.keystore.signing_key()
        assert loaded.kid == row.kid
        assert loaded.private.as_dict(is_private=True)["d"]
