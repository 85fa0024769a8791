"""Admin API (scope `admin`): clients and signing keys, under /api/v1/admin."""

from fastapi import APIRouter, status

from tandem_gateway.oauth import clients
from tandem_gateway.oauth.auth import Admin, KeyStoreDep
from tandem_gateway.oauth.clients import ClientExists, ClientNotFound
from tandem_gateway.oauth.schemas import Client, ClientCreate, ClientWithSecret, SigningKeyInfo
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def _with_secret(client: object, secret: str) -> ClientWithSecret:
    return ClientWithSecret.model_validate(
        {**Client.model_validate(client).model_dump(), "client_secret": secret}
    )


@router.post(
    "/clients",
    response_model=ClientWithSecret,
    status_code=status.HTTP_201_CREATED,
    responses=problems(ClientExists),
)
async def create_client(data: ClientCreate, principal: Admin, session: SessionDep) -> ClientWithSecret:
    """Create a client; the response is the only place its secret ever appears."""
    client, secret = await clients.create_client(session, principal, data)
    return _with_secret(client, secret)


@router.get("/clients", response_model=Page[Client])
async def list_clients(principal: Admin, session: SessionDep, page: PageQuery) -> Page[Client]:
    """List clients (never their secrets), oldest first, one page at a time."""
    found, total = await clients.list_clients(session, page)
    return page_of(found, total, page, Client.model_validate)


@router.get("/clients/{client_id}", response_model=Client, responses=problems(ClientNotFound))
async def get_client(client_id: Text, principal: Admin, session: SessionDep) -> Client:
    """Get one client."""
    return Client.model_validate(await clients.get_client(session, client_id))


@router.post(
    "/clients/{client_id}/secret:rotate", response_model=ClientWithSecret, responses=problems(ClientNotFound)
)
async def rotate_client_secret(client_id: Text, principal: Admin, session: SessionDep) -> ClientWithSecret:
    """Replace the client's secret; the old secret stops working at once."""
    client, secret = await clients.rotate_secret(session, principal, client_id)
    return _with_secret(client, secret)


@router.post("/clients/{client_id}/disable", response_model=Client, responses=problems(ClientNotFound))
async def disable_client(client_id: Text, principal: Admin, session: SessionDep) -> Client:
    """Disable a client: it gets no new tokens (tokens already issued expire within 15 minutes)."""
    return Client.model_validate(await clients.disable_client(session, principal, client_id))


@router.get("/keys", response_model=list[SigningKeyInfo])
async def list_signing_keys(principal: Admin, keystore: KeyStoreDep) -> list[SigningKeyInfo]:
    """List signing keys and their state."""
    return await clients.list_keys(keystore)


@router.post("/keys:rotate", response_model=SigningKeyInfo, status_code=status.HTTP_201_CREATED)
async def rotate_signing_key(principal: Admin, session: SessionDep, keystore: KeyStoreDep) -> SigningKeyInfo:
    """Add a signing key: published now, signing after the publish delay."""
    key = await clients.rotate_keys(session, principal, keystore)
    return SigningKeyInfo(
        kid=key.kid,
        alg=key.alg,
        state="next" if key.activates_at > keystore.clock() else "current",
        activates_at=key.activates_at,
    )
