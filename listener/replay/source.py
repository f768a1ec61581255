"""A mention source that replays a JSONL file, each line at its offset from start.

The embedded default for a first run (mentions arrive over minutes, as in real life,
after a first batch the first poll backfills) and for backtests. The cursor holds when
the replay started and how many lines it has read, so a restart resumes where it
stopped, repeating and skipping nothing.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from config.settings import BrandSettings
from core.clock import Clock, from_iso, to_iso
from core.errors import SourceUnavailable
from core.mention import Author, Mention
from listener.base import Poll, payload_errors
from listener.filters import addresses_brand, is_own_post, matches_brand
from listener.replay.settings import ReplaySourceSettings

log = logging.getLogger(__name__)


def parse_line(line: str, created_at: datetime) -> tuple[Mention, str]:
    """One sample line as a Mention, and its kind (post, reply, comment, repost)."""
    item = json.loads(line)
    author = item["author"]
    title = str(item.get("title") or "")  # a Reddit submission: title, then its body
    mention = Mention(
        platform="replay",
        platform_id=str(item["id"]),
        text=f"{title}\n\n{item['text']}" if title else str(item["text"]),
        author=Author(
            platform_id=str(author["id"]),
            handle=str(author["handle"]),
            name=str(author.get("name", "")),
            followers=int(author.get("followers", 0)),
            verified=bool(author.get("verified", False)),
        ),
        created_at=created_at,
        lang=str(item.get("lang", "")),
        conversation_id=str(item.get("conversation_id", "")),
        in_reply_to_id=str(item.get("in_reply_to_id", "")),
        engagement={k: int(v) for k, v in item.get("engagement", {}).items()},
        raw=item,
    )
    return mention, str(item.get("kind", "post"))


def _resume(f: BinaryIO, cursor: dict[str, Any] | None, position: int) -> int:
    """Seek to where the last poll stopped; a cursor from before byte offsets were kept
    has only the line count, read past once."""
    if cursor and "offset" in cursor:
        f.seek(int(cursor["offset"]))
    else:
        for _ in range(position):
            f.readline()
    return f.tell()


def _complete(raw: bytes) -> bool:
    """A last line without a newline counts once it is whole JSON."""
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


class ReplaySource:
    platform = "replay"

    def __init__(self, settings: ReplaySourceSettings, brand: BrandSettings, clock: Clock):
        self.name = settings.name
        self.settings, self.brand, self.clock = settings, brand, clock

    @payload_errors
    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        """Lines whose offset has come, read from where the last poll stopped: the
        cursor keeps the byte offset, so a poll reads only what is new."""
        now = self.clock.now()
        # A first poll backfills: the replay is taken to have started backfill_seconds
        # (in sample time) ago, so those lines come now, each dated at its own offset.
        backfill = timedelta(seconds=self.settings.backfill_seconds / self.settings.speed)
        started = from_iso(cursor["started_at"]) if cursor else now - backfill
        position = int(cursor["position"]) if cursor else 0
        elapsed = (now - started).total_seconds() * self.settings.speed
        mentions, notes = [], []
        try:
            with self.settings.path.open("rb") as f:
                offset = _resume(f, cursor, position)
                while True:
                    raw = f.readline()
                    if not raw or not (raw.endswith(b"\n") or _complete(raw)):
                        break  # the end, or a line still being written
                    try:
                        item = json.loads(raw) if raw.strip() else None
                        if item is not None and float(item.get("offset_s", 0)) > elapsed:
                            break
                    except (ValueError, AttributeError, TypeError) as exc:
                        item, error = None, exc
                    else:
                        error = None
                    position, offset = position + 1, f.tell()
                    if item is None:
                        if error is not None:
                            notes.append(f"line {position} skipped: {error!r}")
                        continue
                    try:
                        at = started + timedelta(seconds=float(item.get("offset_s", 0))
                                                 / self.settings.speed)
                        mention, kind = parse_line(raw.decode("utf-8"), at)
                    except (ValueError, KeyError, TypeError, AttributeError,
                            OverflowError) as exc:
                        notes.append(f"line {position} skipped: {exc!r}")
                        continue
                    if self._keep(mention, kind):
                        mentions.append(mention)
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {self.settings.path}: {exc}") from exc
        return Poll(mentions, {"started_at": to_iso(started), "position": position,
                               "offset": offset}, notes=notes)

    def _keep(self, mention: Mention, kind: str) -> bool:
        b = self.brand
        if kind == "repost" or is_own_post(mention.author.handle, b.handles):
            return False
        if b.languages and mention.lang and mention.lang not in b.languages:
            return False
        return matches_brand(mention.text, b.handles, b.keywords, b.exclusions) or (
            addresses_brand(mention.text, b.handles)
        )
