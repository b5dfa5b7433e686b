"""Helpers for tests of the web app: a migrated database, users, a signed-in client.

Kept in the package (like ``starlette.testclient``) so the HTTP tests, the browser tests and
the benchmark build the app the same way.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from intake.config import Settings, WebSettings
from models.db import make_engine, migrate

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


_TEMPLATE: dict[str, Path] = {}


def migrated_engine(path: Path) -> Engine:
    """A fresh migrated SQLite database at ``path`` (a copy of one migrated once per run)."""
    if "db" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="cme-web-template-"))
        template = folder / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        migrate(engine)
        engine.dispose()  # the last connection closing checkpoints the WAL into the file
        _TEMPLATE["db"] = template
    shutil.copyfile(_TEMPLATE["db"], path)
    return make_engine(f"sqlite:///{path}")


def make_app(engine: Engine, **web: object) -> FastAPI:
    from intake.web.app import create_app

    settings = Settings(web=WebSettings(**{"secure_cookies": False, **web}))  # type: ignore[arg-type]
    return create_app(settings, engine=engine)


CAST = (("ene-aio", "aio", "ENE"), ("south-aio", "aio", "South"),
        ("central-aio", "aio", "central,WNW"), ("manager", "manager", ""),
        ("admin", "admin", ""))
_HASH: dict[str, str] = {}


def add_users(engine: Engine) -> None:
    """The standard cast: AIOs for ENE, South and central+WNW, a manager, an admin.

    Inserted directly with one argon2 hash of :data:`PASSWORD` computed once per run
    (:func:`models.users.add_user` is tested on its own), to keep the suite quick.
    """
    from models.passwords import hash_password
    from models.tables import User

    password_hash = _HASH.setdefault("hash", hash_password(PASSWORD))
    with Session(engine) as session:
        for name, role, areas in CAST:
            session.add(User(name=name, role=role, areas=areas, password_hash=password_hash))
        session.commit()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the login form; raises if it did not work."""
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token a page's forms carry."""
    return csrf_of(client.get(path).text)
