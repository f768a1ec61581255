"""`main.py users ...`: accounts for the web inbox, with no default password."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

import main
from core.errors import ConflictError
from store import users
from store.db import Store
from store.schema import migrate, migrations, open_store
from web import auth

PASSWORD = "a long enough secret"


@pytest.fixture
def cli(make_settings, tmp_path, monkeypatch, capsys):
    """Run main.py with the password on stdin; returns (exit status, stdout, stderr)."""
    make_settings()
    config = tmp_path / "config.toml"

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = main.main(["--config", str(config), "users", *argv])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_first_admin_then_list_disable_and_reset(cli, tmp_path) -> None:
    assert cli("add", "root", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n")[0] == 0
    assert cli("add", "alice", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    status, out, _ = cli("list")
    assert status == 0 and "root" in out and "admin" in out and "alice" in out
    assert PASSWORD not in out

    store = open_store(tmp_path / "desk.db")
    row = users.credentials(store, "alice")
    assert row is not None and row["role"] == "agent"
    assert row["password_hash"].startswith("$argon2") and PASSWORD not in row["password_hash"]
    assert auth.authenticate(store, "alice", PASSWORD) is not None
    assert auth.authenticate(store, "alice", "wrong password") is None
    epoch = row["session_epoch"]

    assert cli("reset-password", "alice", "--password-stdin",
               stdin="another long secret\n")[0] == 0
    assert auth.authenticate(store, "alice", PASSWORD) is None
    assert auth.authenticate(store, "alice", "another long secret") is not None
    assert users.credentials(store, "alice")["session_epoch"] > epoch  # sessions end

    assert cli("disable", "alice")[0] == 0
    assert auth.authenticate(store, "alice", "another long secret") is None
    assert cli("enable", "alice")[0] == 0
    assert cli("role", "alice", "drafter")[0] == 0
    assert users.credentials(store, "alice")["role"] == "drafter"
    store.close()


def test_refusals_are_one_line(cli) -> None:
    status, _, err = cli("add", "bob", "--password-stdin", stdin="short\n")
    assert status == 1 and "at least" in err
    assert cli("add", "bob", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    status, _, err = cli("add", "BOB", "--password-stdin", stdin=PASSWORD + "\n")
    assert status == 1 and "already exists" in err
    status, _, err = cli("disable", "nobody")
    assert status == 1 and "no user" in err
    status, _, err = cli("reset-password", "nobody", "--password-stdin",
                         stdin=PASSWORD + "\n")
    assert status == 1 and "no user" in err


def test_session_secret_from_the_environment_else_kept_in_the_data_dir(
        monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MENTIONDESK_SESSION_SECRET", "s" * 40)
    assert auth.session_secret(tmp_path) == "s" * 40
    assert not (tmp_path / auth.SECRET_FILE).exists()
    monkeypatch.delenv("MENTIONDESK_SESSION_SECRET")
    first = auth.session_secret(tmp_path / "data")
    assert len(first) >= 32
    assert auth.session_secret(tmp_path / "data") == first  # a restart keeps sessions
    assert (tmp_path / "data" / auth.SECRET_FILE).stat().st_mode & 0o777 == 0o600


def test_accounts_made_before_the_name_rules_still_log_in(tmp_path) -> None:
    """Upgrading a desk: m007 gives every existing account its case-folded key."""
    old = Store(tmp_path / "old.db")
    with old.reading() as db:
        migrations.apply(db, stop_before="m007_inbox")
        db.execute("INSERT INTO users (username, role, password_hash, created_at, updated_at)"
                   " VALUES ('Root', 'admin', ?, 'x', 'x')", [auth.hash_password(PASSWORD)])
    assert "m007_inbox" in migrate(old)
    assert auth.authenticate(old, "root", PASSWORD) is not None
    with pytest.raises(ConflictError, match="already exists"):
        users.add(old, "ROOT", "agent", "hash", datetime(2026, 1, 1, tzinfo=UTC))
    old.close()
