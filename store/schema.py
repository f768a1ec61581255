"""The schema as a sequence of registered migrations.

Never edit a migration that has shipped: add a new one. ``migrate`` applies what a
database lacks, so an old file upgrades itself on start. Migrations run in number order
(m001, m002, ...) whatever order this file defines them in; a database records the names
it applied, so a name never changes.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.errors import StoreError
from store.db import Store

Step = TypeVar("Step", bound=Callable[[Database], None])  # a migration function


class _NumberOrder(Migrations):
    """Registered migrations kept sorted by name (their number): a migration added out of
    place, or one merged from a parallel branch, still runs after every lower number."""

    def __call__(self, *, name: str | None = None, transactional: bool = True
                 ) -> Callable[[Step], Step]:
        register = super().__call__(name=name, transactional=transactional)

        def inner(func: Step) -> Step:
            register(func)
            self._migrations.sort(key=lambda m: m.name)
            return func

        return inner


migrations = _NumberOrder("mentiondesk")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            platform_user_id TEXT NOT NULL,
            handle TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            followers INTEGER NOT NULL DEFAULT 0,
            verified INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            UNIQUE (platform, platform_user_id)
        );
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            platform_id TEXT NOT NULL,
            source TEXT NOT NULL,
            brand TEXT NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            text TEXT NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT '',
            conversation_id TEXT NOT NULL DEFAULT '',
            in_reply_to_id TEXT NOT NULL DEFAULT '',
            engagement TEXT NOT NULL DEFAULT '{}',
            raw TEXT NOT NULL DEFAULT '{}',
            api_replyable INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'needs_reply', 'no_action', 'drafted', 'replied')),
            claimed_by TEXT,
            claimed_at TEXT,
            replied_at TEXT,
            UNIQUE (platform, platform_id)
        );
        CREATE INDEX mentions_status ON mentions(status);
        CREATE INDEX mentions_created ON mentions(created_at);
        CREATE TABLE triage (
            mention_id INTEGER PRIMARY KEY REFERENCES mentions(id),
            label TEXT NOT NULL,
            scores TEXT NOT NULL,
            complaint INTEGER NOT NULL,
            needs_reply INTEGER NOT NULL,
            optional INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            topic TEXT NOT NULL,
            priority REAL NOT NULL,
            factors TEXT NOT NULL,
            model_name TEXT NOT NULL,
            model_version TEXT NOT NULL,
            triaged_at TEXT NOT NULL
        );
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions(id),
            text TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
                'pending', 'approved', 'rejected', 'posting', 'posted', 'failed', 'refused')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            approved_by TEXT,
            approved_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            manual_url TEXT NOT NULL DEFAULT '',
            posted_id TEXT,
            posted_url TEXT NOT NULL DEFAULT '',
            posted_at TEXT
        );
        CREATE INDEX drafts_status ON drafts(status);
        -- At most one reply goes out per mention, whoever approves it.
        CREATE UNIQUE INDEX drafts_one_reply ON drafts(mention_id)
            WHERE status IN ('approved', 'posting', 'posted');
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            mention_id INTEGER,
            draft_id INTEGER,
            before TEXT NOT NULL DEFAULT '',
            after TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            cursor TEXT,
            updated_at TEXT,
            paused_until TEXT,
            paused_reason TEXT NOT NULL DEFAULT '',
            last_error TEXT NOT NULL DEFAULT '',
            polls INTEGER NOT NULL DEFAULT 0,
            fetched INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE metrics_hourly (
            hour TEXT NOT NULL,
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            volume INTEGER NOT NULL,
            negative INTEGER NOT NULL,
            neutral INTEGER NOT NULL,
            positive INTEGER NOT NULL,
            net_sentiment REAL NOT NULL,
            complaints INTEGER NOT NULL,
            needs_reply INTEGER NOT NULL,
            replies INTEGER NOT NULL,
            median_first_response_s REAL,
            PRIMARY KEY (hour, brand, platform)
        );
        """
    )


@migrations()
def m002_users(db: Database) -> None:
    """Web inbox accounts; ``session_epoch`` grows on reset or disable to end sessions."""
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('agent', 'drafter', 'viewer', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT
        );
        """
    )


@migrations()
def m003_platforms_redaction(db: Database) -> None:
    """When a mention was redacted because the platform reported the post gone (X's
    terms: content deleted on X is deleted from the app within 24 hours)."""
    db.execute("ALTER TABLE mentions ADD COLUMN redacted_at TEXT")


@migrations()
def m007_inbox(db: Database) -> None:
    """Web sessions kept on the server (revocable), internal notes on mentions, the
    agents' corrections of the model's labels, and a case-folded unique user name key."""
    import unicodedata

    db.executescript(
        """
        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            client TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX web_sessions_user ON web_sessions(user_id);
        CREATE TABLE mention_notes (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX mention_notes_mention ON mention_notes(mention_id);
        CREATE TABLE label_corrections (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions(id),
            field TEXT NOT NULL CHECK (field IN ('label', 'topic', 'needs_reply')),
            model_value TEXT NOT NULL,
            value TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX label_corrections_mention ON label_corrections(mention_id);
        CREATE INDEX audit_actor ON audit(actor);
        CREATE INDEX audit_mention ON audit(mention_id);
        CREATE INDEX IF NOT EXISTS inbox_mentions_conversation ON mentions(conversation_id);
        CREATE INDEX IF NOT EXISTS inbox_mentions_author ON mentions(author_id);
        ALTER TABLE users ADD COLUMN name_key TEXT;
        """
    )
    seen: set[str] = set()
    for user_id, name in db.execute("SELECT id, username FROM users ORDER BY id").fetchall():
        key = unicodedata.normalize("NFKC", name).casefold()
        if key not in seen:  # an older look-alike twin keeps no key (and cannot log in)
            seen.add(key)
            db.execute("UPDATE users SET name_key = ? WHERE id = ?", [key, user_id])
    db.execute("CREATE UNIQUE INDEX users_name_key ON users(name_key)")


@migrations()
def m004_triage(db: Database) -> None:
    """Triage keeps what the model's heads and the thread said: spam, sarcasm, the
    mention's language and role in its thread, the head probabilities and the rules
    that fired (both JSON), so the inbox and metrics can show and filter by them."""
    db.executescript(
        """
        ALTER TABLE triage ADD COLUMN spam INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE triage ADD COLUMN sarcasm INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE triage ADD COLUMN language TEXT NOT NULL DEFAULT '';
        ALTER TABLE triage ADD COLUMN role TEXT NOT NULL DEFAULT 'original';
        ALTER TABLE triage ADD COLUMN heads TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE triage ADD COLUMN rules TEXT NOT NULL DEFAULT '{}';
        """
    )


def migrate(store: Store) -> list[str]:
    """Apply pending migrations; return their names.

    Processes starting together (the daemon, `main.py review`, a systemd ExecStartPre)
    take turns through a lock file beside the database, so a migration runs once.
    """
    with _migration_lock(store.path), store.reading() as db:
        names = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return names


def pending(store: Store) -> list[str]:
    """The migrations this database lacks, by name, read without writing anything (not
    even the migrations table): `main.py doctor` reports them instead of applying them."""
    with store.reading() as db:
        return [m.name for m in migrations.pending(db)]


@contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    try:
        lock = open(path.with_name(path.name + ".migrate-lock"), "a")  # noqa: SIM115
    except OSError as exc:
        raise StoreError(f"cannot lock {path} for migrations: {exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_store(path: Path | str) -> Store:
    """Open (creating if needed) and migrate the database at ``path``."""
    store = Store(path)
    migrate(store)
    return store


# Summable rollup columns (m008): counts, sums of seconds, duration histograms (9 buckets).
_ROLLUP_SUMS = (
    "volume", "negative", "neutral", "positive", "complaints", "needs_reply", "answered",
    "replies", "sla_breaches", "frt_sum_s", "approvals", "approval_sum_s",
    "accepted_unedited", "accepted_edited", "rejected", "reach",
    *(f"frt_h{i}" for i in range(9)), *(f"appr_h{i}" for i in range(9)),
)


@migrations()
def m008_rollups(db: Database) -> None:
    """Metrics kept forever: hourly and daily rollups, top authors, dirty-hour marks.

    Hours are per brand x platform x topic x language; days (the dashboard's grain for
    longer ranges) per brand x platform x topic, five times fewer rows to sum.

    Triggers mark the hour of every mention whose row, triage or draft changes, so
    the refresh rebuilds only those hours. Deleting mentions marks nothing: retention
    may purge raw rows and the rollups stand alone. ``metrics_hourly`` becomes a view.
    """
    sums = ",\n".join(f"    {c} {'REAL' if c.endswith('_s') else 'INTEGER'} NOT NULL DEFAULT 0"
                       for c in _ROLLUP_SUMS)
    cell = "brand TEXT NOT NULL, platform TEXT NOT NULL, topic TEXT NOT NULL"
    mark = "INSERT OR IGNORE INTO rollup_dirty (hour) VALUES (substr({}, 1, 13))"
    of_mention = mark.format("(SELECT created_at FROM mentions WHERE id = NEW.mention_id)")
    db.executescript(f"""
        CREATE TABLE rollup_hourly (
            hour TEXT NOT NULL, {cell}, lang TEXT NOT NULL,
{sums},
            frt_median_s REAL, frt_p90_s REAL, approval_median_s REAL, approval_p90_s REAL,
            PRIMARY KEY (hour, brand, platform, topic, lang)
        ) WITHOUT ROWID;
        CREATE TABLE rollup_daily (
            day TEXT NOT NULL, {cell},
{sums},
            PRIMARY KEY (day, brand, platform, topic)
        ) WITHOUT ROWID;
        CREATE TABLE rollup_authors (
            hour TEXT NOT NULL, {cell}, lang TEXT NOT NULL, handle TEXT NOT NULL,
            followers INTEGER NOT NULL, mentions INTEGER NOT NULL,
            PRIMARY KEY (hour, brand, platform, topic, lang, handle)
        ) WITHOUT ROWID;
        CREATE TABLE rollup_daily_authors (
            day TEXT NOT NULL, {cell}, handle TEXT NOT NULL,
            followers INTEGER NOT NULL, mentions INTEGER NOT NULL,
            PRIMARY KEY (day, brand, platform, topic, handle)
        ) WITHOUT ROWID;
        -- Top authors of long ranges are read from the widest reach down.
        CREATE INDEX rollup_daily_authors_reach ON rollup_daily_authors(followers);
        CREATE INDEX rollup_daily_authors_handle ON rollup_daily_authors(handle, day);
        CREATE TABLE rollup_dirty (hour TEXT PRIMARY KEY) WITHOUT ROWID;
        -- An hour's drafts are found through its mentions, not by scanning every draft.
        CREATE INDEX IF NOT EXISTS drafts_mention ON drafts(mention_id);
        -- Draft acceptance reads whether an agent edited a draft from the audit log.
        CREATE INDEX IF NOT EXISTS audit_draft ON audit(draft_id, action);
        INSERT OR IGNORE INTO rollup_dirty SELECT DISTINCT substr(created_at, 1, 13)
            FROM mentions;

        CREATE TRIGGER rollup_mention_new AFTER INSERT ON mentions
            BEGIN {mark.format("NEW.created_at")}; END;
        CREATE TRIGGER rollup_mention_changed AFTER UPDATE OF status, replied_at, created_at,
            brand, lang ON mentions
            BEGIN {mark.format("NEW.created_at")}; {mark.format("OLD.created_at")}; END;
        CREATE TRIGGER rollup_triage_new AFTER INSERT ON triage BEGIN {of_mention}; END;
        CREATE TRIGGER rollup_triage_changed AFTER UPDATE ON triage BEGIN {of_mention}; END;
        CREATE TRIGGER rollup_draft_new AFTER INSERT ON drafts BEGIN {of_mention}; END;
        CREATE TRIGGER rollup_draft_changed AFTER UPDATE OF status, version, approved_at
            ON drafts BEGIN {of_mention}; END;

        CREATE TABLE spike_alerts (
            id INTEGER PRIMARY KEY,
            brand TEXT NOT NULL,
            hour TEXT NOT NULL,
            kinds TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            payload TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX spike_alerts_brand ON spike_alerts(brand, detected_at);
        CREATE TABLE digests (
            brand TEXT NOT NULL,
            day TEXT NOT NULL,
            written_at TEXT NOT NULL,
            path TEXT NOT NULL,
            posted_at TEXT,
            error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (brand, day)
        );

        DROP TABLE metrics_hourly;
        CREATE VIEW metrics_hourly AS
            SELECT hour, brand, platform, sum(volume) AS volume, sum(negative) AS negative,
                   sum(neutral) AS neutral, sum(positive) AS positive,
                   round(1.0 * (sum(positive) - sum(negative))
                         / max(sum(positive) + sum(negative) + sum(neutral), 1), 3)
                       AS net_sentiment,
                   sum(complaints) AS complaints, sum(needs_reply) AS needs_reply,
                   sum(replies) AS replies
            FROM rollup_hourly GROUP BY hour, brand, platform;
        """)
    for grain, table in (("hour", "rollup_hourly"), ("day", "rollup_daily")):
        db.execute(f"""
            CREATE VIEW v_{table.split('_')[1]} AS SELECT {grain}, brand, platform, topic,
                {'lang, ' if grain == 'hour' else ''}
                volume, negative, neutral, positive,
                round(1.0 * negative / max(volume, 1), 3) AS negative_share,
                round(1.0 * neutral / max(volume, 1), 3) AS neutral_share,
                round(1.0 * positive / max(volume, 1), 3) AS positive_share,
                round(1.0 * (positive - negative) / max(positive + negative + neutral, 1), 3)
                    AS net_sentiment,
                complaints, needs_reply, answered, replies,
                round(1.0 * answered / nullif(needs_reply, 0), 3) AS response_rate,
                round(frt_sum_s / nullif(replies, 0)) AS mean_first_response_s,
                {'frt_median_s, frt_p90_s, ' if grain == 'hour' else ''}sla_breaches,
                round(1.0 * (needs_reply - sla_breaches) / nullif(needs_reply, 0), 3)
                    AS sla_compliance,
                approvals, round(approval_sum_s / nullif(approvals, 0)) AS mean_approval_s,
                {'approval_median_s, approval_p90_s, ' if grain == 'hour' else ''}
                accepted_unedited, accepted_edited, rejected, reach
            FROM {table}""")


@migrations()
def m005_responder(db: Database) -> None:
    """What drafting knew (template, language, notes, article, other options), flags on
    mentions (private data, spam, a second reply in a thread), and the memory of
    approved replies that later drafts learn from."""
    db.executescript(
        """
        ALTER TABLE drafts ADD COLUMN first_text TEXT NOT NULL DEFAULT '';
        ALTER TABLE drafts ADD COLUMN template TEXT NOT NULL DEFAULT '';
        ALTER TABLE drafts ADD COLUMN lang TEXT NOT NULL DEFAULT '';
        ALTER TABLE drafts ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE drafts ADD COLUMN options TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE drafts ADD COLUMN article_url TEXT NOT NULL DEFAULT '';
        ALTER TABLE mentions ADD COLUMN flags TEXT NOT NULL DEFAULT '[]';
        CREATE INDEX IF NOT EXISTS mentions_conversation ON mentions(conversation_id);
        CREATE INDEX IF NOT EXISTS drafts_mention ON drafts(mention_id);
        -- Stands alone (no foreign keys): what agents taught outlives purged raw rows.
        CREATE TABLE reply_memory (
            draft_id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL,
            brand TEXT NOT NULL,
            topic TEXT NOT NULL,
            mention_text TEXT NOT NULL,
            author_handle TEXT NOT NULL,
            author_name TEXT NOT NULL,
            reply TEXT NOT NULL,
            drafted TEXT NOT NULL,
            edited INTEGER NOT NULL,
            approved_by TEXT NOT NULL,
            approved_at TEXT NOT NULL
        );
        CREATE INDEX reply_memory_topic ON reply_memory(brand, topic, approved_at);
        """
    )


@migrations()
def m006_operations(db: Database) -> None:
    """Publishing leases and retry times; per-source health; rows set aside with a reason."""
    db.executescript(
        """
        ALTER TABLE drafts ADD COLUMN lease_owner TEXT;
        ALTER TABLE drafts ADD COLUMN lease_until TEXT;
        ALTER TABLE drafts ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE sources ADD COLUMN last_success_at TEXT;
        ALTER TABLE sources ADD COLUMN last_error_at TEXT;
        ALTER TABLE sources ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN publish_paused_until TEXT;
        ALTER TABLE mentions ADD COLUMN raw_purged_at TEXT;
        CREATE TABLE set_aside (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL,
            mention_id INTEGER REFERENCES mentions(id),
            source TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            released_at TEXT
        );
        CREATE UNIQUE INDEX set_aside_held ON set_aside(stage, mention_id)
            WHERE released_at IS NULL;
        """
    )


@migrations()
def m009_outcomes(db: Database) -> None:
    """Did our reply help: one outcome per answered conversation with its evidence (the
    customer's message, the rule words, the head's probabilities), the predicted
    satisfaction and the net sentiment change; and the agents' corrections, kept with
    the texts judged so `model outcomes`/`model adapt` can learn from them after the
    raw rows are purged (docs/outcomes-guide.md)."""
    db.executescript(
        """
        CREATE TABLE conversation_outcomes (
            conversation TEXT PRIMARY KEY,  -- platform:conversation_id, or platform:m<id>
            mention_id INTEGER NOT NULL,  -- the first mention we answered in it
            first_at TEXT NOT NULL,  -- that mention's created_at: the metrics' date
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            topic TEXT NOT NULL,
            template TEXT NOT NULL,  -- of our latest reply
            agent TEXT NOT NULL,  -- who approved our latest reply
            reply_draft_id INTEGER NOT NULL,  -- our latest posted reply
            replies INTEGER NOT NULL,  -- our posted replies in the conversation
            outcome TEXT NOT NULL
                CHECK (outcome IN ('resolved', 'open', 'escalated', 'no_answer')),
            model_outcome TEXT NOT NULL,  -- what the desk decided before any correction
            reason TEXT NOT NULL,
            evidence_mention_id INTEGER,  -- the customer's message; NULL: silence
            evidence_words TEXT NOT NULL DEFAULT '[]',
            probabilities TEXT NOT NULL DEFAULT '{}',
            satisfaction TEXT
                CHECK (satisfaction IN ('satisfied', 'neutral', 'dissatisfied')),
            satisfaction_score REAL,  -- predicted rating 1..5
            satisfaction_scores TEXT NOT NULL DEFAULT '{}',
            sentiment_change REAL,  -- valence of their last words minus their first
            model_version TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL,
            decided_by TEXT NOT NULL DEFAULT 'mentiondesk'  -- or the correcting agent
        );
        CREATE INDEX conversation_outcomes_first ON conversation_outcomes(first_at);
        CREATE INDEX conversation_outcomes_mention ON conversation_outcomes(mention_id);
        CREATE INDEX conversation_outcomes_evidence
            ON conversation_outcomes(evidence_mention_id);
        -- Stands alone (texts copied): what agents taught outlives purged or redacted rows.
        CREATE TABLE outcome_corrections (
            id INTEGER PRIMARY KEY,
            conversation TEXT NOT NULL,
            mention_id INTEGER,  -- the customer's message judged; NULL: silence
            brand TEXT NOT NULL,
            reply TEXT NOT NULL,  -- our reply the customer answered
            customer TEXT NOT NULL,  -- their words ('' for silence)
            field TEXT NOT NULL CHECK (field IN ('outcome', 'satisfaction')),
            model_value TEXT NOT NULL,
            value TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX outcome_corrections_conversation ON outcome_corrections(conversation);
        """
    )


@migrations()
def m010_ai_drafts(db: Database) -> None:
    """What the AI model did for each draft: offered (its text is an option of kind
    "ai" on the draft), refused by the checks, failed (timeouts, errors), or waiting to
    be retried; with the reason, the model, the attempts and the latency."""
    db.executescript(
        """
        CREATE TABLE ai_drafts (
            draft_id INTEGER PRIMARY KEY REFERENCES drafts(id),
            status TEXT NOT NULL
                CHECK (status IN ('waiting', 'offered', 'refused', 'failed')),
            reason TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            retry_at TEXT,
            latency_ms INTEGER,
            text TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        );
        CREATE INDEX ai_drafts_status ON ai_drafts(status, retry_at);
        """
    )


@migrations()
def m014_architecture(db: Database) -> None:
    """Why a source is paused, as a kind the daemon decides on (``auth``: credentials
    refused, cleared by a restart; ``rate``: a rate limit) instead of the reason's words.
    Pauses recorded before this migration get their kind from those words, once."""
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN paused_kind TEXT NOT NULL DEFAULT '';
        UPDATE sources SET paused_kind = 'auth' WHERE paused_reason LIKE 'auth:%';
        UPDATE sources SET paused_kind = 'rate' WHERE paused_reason LIKE 'rate limited%';
        """
    )


@migrations()
def m015_queued_by_hand(db: Database) -> None:
    """A mention an agent queued by hand is marked as such (``store.inbox.queue_missed``),
    so the drafting stage, which then holds nothing back, reads a fact rather than the
    reason's words. Mentions queued by hand before this migration get it from those
    words, once."""
    db.executescript(
        """
        ALTER TABLE triage ADD COLUMN queued_by_hand INTEGER NOT NULL DEFAULT 0;
        UPDATE triage SET queued_by_hand = 1 WHERE reason = 'an agent: needs a reply';
        """
    )
