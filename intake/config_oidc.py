"""The ``[web.oidc]`` section: sign-in with an OpenID provider (Entra ID or any other).

The provider is found by discovery from ``issuer``; the client secret comes from a file or
an environment variable, never the TOML. ``[[web.oidc.groups]]`` maps the provider's group
(or app-role) claim values to the app's roles and areas; see docs/sign-in.md.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class OidcGroupSettings(BaseModel):
    """One row of the group table: members of ``group`` get ``role`` and ``areas``."""

    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, description="group object id or name in the claim")
    role: Literal["aio", "manager", "admin"]
    areas: list[Literal["central", "ENE", "WNW", "South"]] = Field(default_factory=list)


class OidcSettings(BaseModel):
    """Sign-in with an OpenID provider (Entra ID or any other, found by discovery)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(description="issuer URL; its /.well-known/openid-configuration is read")
    client_id: str
    client_secret_file: str | None = None
    client_secret_env: str | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    group_claim: str = "groups"  # or "roles" for Entra app roles
    username_claim: str = "preferred_username"
    label: str = "Sign in with Microsoft"
    redirect_uri: str | None = None  # default: <this site>/login/oidc/callback
    ca_file: str | None = None
    groups: list[OidcGroupSettings] = Field(default_factory=list)

    refused_keys: ClassVar[tuple[str, ...]] = ("client_secret",)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and "client_secret" in data:
            raise ValueError("web.oidc: never put the client secret in the configuration "
                             "file; use client_secret_file or client_secret_env")
        return data

    @model_validator(mode="after")
    def _check(self) -> OidcSettings:
        if not (self.client_secret_file or self.client_secret_env):
            raise ValueError("web.oidc needs client_secret_file or client_secret_env")
        loopback = self.issuer.startswith(("http://127.0.0.1", "http://localhost"))
        if not (self.issuer.startswith("https://") or loopback):
            raise ValueError("web.oidc.issuer must be an https:// URL")
        return self
