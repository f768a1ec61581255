"""The replay source's publisher: a local file that records each reply.

Lines are appended and fsynced before ``publish`` returns, so ``find_posted`` after a
crash sees every reply that went out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from core.clock import Clock, from_iso, to_iso
from core.errors import PublishError, PublishRefused
from core.reply import Posted, ReplyRequest
from listener.x.length import x_length


class SinkPublisher:
    platform = "replay"

    def __init__(self, path: Path, clock: Clock, limit: int = 280) -> None:
        self.path, self.clock, self.limit = path, clock, limit
        self._posted: dict[int, Posted] = {}  # by draft id, read from the sink so far
        self._read_to = 0  # bytes of the sink already read into _posted

    def publish(self, reply: ReplyRequest) -> Posted:
        if x_length(reply.text) > self.limit:  # replay stands in for X
            raise PublishRefused(f"reply is longer than {self.limit} characters")
        posted = Posted(platform_id=f"sink-{reply.draft_id}", posted_at=self.clock.now())
        line = json.dumps({
            "id": posted.platform_id, "draft_id": reply.draft_id,
            "in_reply_to_id": reply.in_reply_to_id, "text": reply.text,
            "posted_at": to_iso(posted.posted_at),
        }, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise PublishError(f"cannot write {self.path}: {exc}") from exc
        return posted

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Reads only what was appended since the last look (the whole sink once after a
        start), so checking stays cheap however long the sink grows."""
        try:
            with self.path.open("rb") as f:
                f.seek(self._read_to)
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break  # a line still being written: read it next time
                    self._read_to += len(raw)
                    if raw.strip():
                        item = json.loads(raw)
                        self._posted[int(item["draft_id"])] = Posted(
                            platform_id=item["id"], posted_at=from_iso(item["posted_at"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            raise PublishError(f"cannot read {self.path}: {exc}") from exc
        return self._posted.get(reply.draft_id)

    def gone(self, platform_ids: list[str]) -> set[str]:
        """A replayed post is never deleted."""
        return set()

    def replies(self) -> list[dict]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
