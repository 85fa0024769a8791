from typing import Annotated

from fastapi import Depends, Request

from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.user_tokens import UserTokens
from tandem_gateway.oauth.verifier import GatewayTokenVerifier
from tandem_gateway.settings import Settings
from tandem_kit.auth import Authenticator, Principal

Admin = Annotated[Principal, Depends(Authenticator(scopes={"admin"}))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _keystore(request: Request) -> KeyStore:
    keystore: KeyStore = request.app.state.keystore
    return keystore


def _verifier(request: Request) -> GatewayTokenVerifier:
    verifier: GatewayTokenVerifier = request.app.state.token_verifier
    return verifier


def _user_tokens(request: Request) -> UserTokens:
    user_tokens: UserTokens = request.app.state.user_tokens
    return user_tokens


SettingsDep = Annotated[Settings, Depends(_settings)]
KeyStoreDep = Annotated[KeyStore, Depends(_keystore)]
VerifierDep = Annotated[GatewayTokenVerifier, Depends(_verifier)]
UserTokensDep = Annotated[UserTokens, Depends(_user_tokens)]
