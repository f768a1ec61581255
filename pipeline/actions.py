"""Agent actions: the one place that decides whether an agent's action may happen.

The web inbox, the terminal review and anything later call these functions and show
their message; no interface re-implements a rule. What is enforced here:

- roles (``PERMISSIONS``): a desk account acts only within its role (a viewer reads, a
  drafter edits, claims, skips and notes, an agent also approves, rejects, assigns and
  labels, an admin also manages accounts), and a disabled account not at all, whichever
  interface it uses; the web inbox's guard and the terminal review read the same table;

- the reply policy (``responder.policy``) and the platform's length limit, on every
  text that is saved (edit) or approved, so no path can approve or store a reply that
  asks for a password in public or is too long to post;
- one reply per conversation: a second reply in a thread waits until the customer we
  answered writes back;
- claims (a colleague's mention must be taken over explicitly) and versions (an
  approve or edit of a draft changed since the agent saw it is refused), through
  ``store.drafts``;
- the undo window: an approved reply waits ``pipeline.undo_seconds`` before the
  publisher may post it, and ``undo`` takes the approval back within it (under the
  claim rules too: a colleague's held mention is taken over first).

API (``actions = Actions(store, settings, clock)``; ``actor`` is the agent's name):

    actions.problems(draft_id, text=None) -> list[str]   why it could not be sent
    actions.claim(mention_id, actor, takeover=False) -> Done
    actions.release(mention_id, actor) -> Done                Done.changed: False if not held
    actions.assign(mention_id, actor, assignee) -> Done
    actions.note(mention_id, actor, text) -> Done
    actions.correct(mention_id, actor, field, value, draft_id=None, version=None) -> Done
    actions.bulk(picks, actor, action) -> Done                picks: (draft_id, version)
    actions.edit(draft_id, actor, version, text) -> Done      Done.version: new version
    actions.approve(draft_id, actor, version, text=None) -> Done
    actions.reject(draft_id, actor, version, note="") -> Done
    actions.skip(draft_id, actor) -> Done
    actions.undo(draft_id, actor) -> Done
    actions.replied_by_hand(draft_id, actor) -> Done
    actions.assign(mention_id, actor, assignee, allowed) -> Done
    actions.note(mention_id, actor, text) -> Done
    actions.correct(mention_id, actor, field, value) -> Done
    actions.correct_outcome(conversation, actor, outcome=None, satisfaction=None) -> Done

Each returns ``Done`` whose ``message`` is one sentence for the agent (interfaces decide
on its typed fields, never on its wording), or raises ``ActionRefused`` whose text is one
sentence saying why nothing happened. Interfaces write nothing to the store themselves
(tests/test_layout.py checks that web/ and terminal/ call no writing store function).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings
from core.clock import Clock, from_iso
from core.errors import ActionRefused, ConflictError, StoreError
from listener.platforms import platform_length, reply_limit
from responder.acceptance import written_by
from responder.policy import MachineCheck, machine_problems, reply_problems, second_reply
from sentiment.outcomes import RATING
from sentiment.triage import waiting_share
from store import claims, drafts, inbox, users
from store import outcomes as outcome_store
from store.db import Store
from store.ranking import Ranking


@dataclass(frozen=True)
class Done:
    message: str  # one sentence the interface shows as is
    version: int | None = None  # the draft's version after the action, when it has one
    changed: bool = True  # False: nothing needed doing (already so, nothing held)
    removed: tuple[int, ...] = ()  # drafts the action took out of the queue


# What each desk role may do (admin: everything). The web inbox shows and guards its
# pages by these, the terminal review admits by them, and ``Actions`` enforces them.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "drafter": frozenset({"read", "edit", "claim", "skip", "note"}),
    "agent": frozenset({"read", "edit", "claim", "skip", "note", "approve", "reject",
                        "assign", "label"}),
    "admin": frozenset({"read", "edit", "claim", "skip", "note", "approve", "reject",
                        "assign", "label", "users"}),
}


def may(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


# Bulk closing: action -> the note each rejected draft keeps.
BULK_NOTES = {"spam": "spam", "done": "done without reply"}
TONES = ("negative", "neutral", "positive")


def ranking(settings: Settings, now: datetime) -> Ranking:
    """The queue's order as of ``now`` (triage's priority re-aged by core.priority), the
    same for the web inbox and the terminal review."""
    return Ranking(now, settings.sla.first_response_minutes, waiting_share(settings.triage))


def text_problems(settings: Settings, platform: str, text: str, brand: str = "",
                  machine: MachineCheck | None = None) -> list[str]:
    """Why ``text`` could not go out as ``brand``'s reply on ``platform``; empty when it
    can (a brand's ``allowed_promises`` only apply when ``brand`` is given). A text a
    model wrote (``machine``) is checked exactly like an agent's, and then for links
    outside the knowledge base and words copied from its prompt or the customer."""
    responder = settings.responder
    limit = reply_limit(settings, platform)
    allowed = next((b.allowed_promises for b in settings.brands if b.name == brand), [])
    problems = reply_problems(text, platform_length(text, platform), limit, platform,
                              responder.policy, allowed)
    return problems + (machine_problems(text, machine) if machine and text.strip() else [])


def our_links(settings: Settings) -> list[str]:
    """The links a model may put in a reply: the knowledge base's and the topics'."""
    return [*(a.url for a in settings.responder.knowledge_base),
            *(t.kb_link for t in settings.topics if t.kb_link)]


def _machine(settings: Settings, row: dict, text: str) -> MachineCheck | None:
    """The machine checks for ``text`` when it is, unedited, what a model wrote for this
    draft (an agent who edits it answers for it, as for any edit)."""
    if not any(o.get("kind") == "ai" and o.get("text") == text
               for o in row.get("options") or []):
        return None
    return MachineCheck(our_links(settings), untrusted=[row.get("text") or ""])


REMINDER_REFUSAL = ("this is a follow-up reminder and we already replied in public, so "
                    "follow up in a private message and reject the reminder to close it")


def draft_problems(settings: Settings, row: dict) -> list[str]:
    """Why a queued draft (a ``drafts.get`` row) could not go out as it stands."""
    if row.get("template") == drafts.REMINDER:
        return [REMINDER_REFUSAL]
    text = row["draft_text"]
    return text_problems(settings, row["platform"], text, row["brand"],
                         _machine(settings, row, text))


def refusal(what: str, problems: list[str]) -> str:
    """One sentence naming every problem: 'Not approved: a; and b.'"""
    return f"Not {what}: {'; and '.join(problems)}."


@dataclass
class Actions:
    store: Store
    settings: Settings
    clock: Clock

    def _may(self, actor: str, permission: str) -> None:
        """A desk account acts within its role, whatever interface it uses (the web's
        guard and the terminal's admission check first; this is the rule itself). A name
        that is no desk account (a script, the daemon) is not checked."""
        account = users.account(self.store, actor)
        if account is None:
            return
        if account["disabled"]:
            raise ActionRefused(f"The desk account {account['username']} is disabled.")
        if not may(account["role"], permission):
            raise ActionRefused(f"Your role ({account['role']}) may not do this.")

    def _draft(self, draft_id: int) -> dict:
        row = drafts.get(self.store, draft_id)
        if row is None:
            raise ActionRefused(f"Draft {draft_id} no longer exists.")
        return row

    def problems(self, draft_id: int, text: str | None = None) -> list[str]:
        """Why ``text`` (default: the draft's own) could not be sent; empty when fine.
        Interfaces show this beside a draft before the agent approves it."""
        row = self._draft(draft_id)
        return draft_problems(self.settings, row if text is None else {**row, "draft_text": text})

    def _checked(self, draft_id: int, text: str, what: str) -> dict:
        row = self._draft(draft_id)
        if problems := text_problems(self.settings, row["platform"], text, row["brand"],
                                     _machine(self.settings, row, text)):
            raise ActionRefused(refusal(what, problems))
        return row

    def claim(self, mention_id: int, actor: str, takeover: bool = False) -> Done:
        self._may(actor, "claim")
        with _refusing("assigned"):
            claims.claim(self.store, mention_id, actor, self.clock.now(), takeover=takeover)
        return Done("Taken over: it is yours now." if takeover else "Assigned to you.")

    def release(self, mention_id: int, actor: str) -> Done:
        self._may(actor, "claim")
        if claims.release(self.store, mention_id, actor, self.clock.now()):
            return Done("Released: colleagues can pick it up.")
        return Done("Nothing to release: it was not assigned to you.", changed=False)

    def assign(self, mention_id: int, actor: str, assignee: str) -> Done:
        """Give the mention to ``assignee``, an enabled account that may take mentions."""
        self._may(actor, "assign")
        if assignee not in users.names(self.store):
            raise ActionRefused(f"Not done: {assignee or 'nobody'} cannot take mentions.")
        with _refusing("done"):
            before = claims.assign(self.store, mention_id, assignee, actor, self.clock.now())
        if before == assignee:
            return Done(f"Already assigned to {assignee}.", changed=False)
        return Done(f"Assigned to {assignee}" + (f" (was {before})." if before else "."))

    def note(self, mention_id: int, actor: str, text: str) -> Done:
        """An internal note for colleagues on the mention; never posted."""
        self._may(actor, "note")
        text = _normal(text)
        if not text:
            raise ActionRefused("Not added: the note is empty.")
        with _refusing("added"):
            inbox.add_note(self.store, mention_id, actor, text, self.clock.now())
        return Done("Note added.")

    def correct(self, mention_id: int, actor: str, field: str, value: str, *,
                draft_id: int | None = None, version: int | None = None) -> Done:
        """Correct the model's tone (``label``), ``topic`` or ``needs_reply``: "0" (no
        reply needed) closes ``draft_id`` as a rejection first, under the draft's version
        and claim rules; "1" puts a mention that left without a draft in line for one
        (a miss, or one the responder's words held back: ``store.inbox.queue_missed``).
        Kept for the model's training."""
        self._may(actor, "label")
        topics = sorted({t.name for t in self.settings.topics} | {"general"})
        allowed = {"label": TONES, "topic": tuple(topics), "needs_reply": ("0", "1")}
        if value not in allowed.get(field, ()):
            raise ActionRefused(f"Not done: {value!r} is not a {field}.")
        if field == "needs_reply" and value == "1":
            with _refusing("queued"):
                missed = inbox.queue_missed(self.store, mention_id, actor, self.clock.now())
            return Done("Queued: it needs a reply after all; its draft follows within seconds"
                        + (", and the model learns from the correction." if missed else "."))
        closing = field == "needs_reply" and draft_id is not None
        if closing:
            self.reject(draft_id, actor, -1 if version is None else version,
                        "no reply needed (label corrected)")
        with _refusing("done"):
            changed = inbox.correct_label(self.store, mention_id, field, value, actor,
                                          self.clock.now())
        if closing:
            return Done("Closed: no reply needed, and the model's label is corrected.",
                        removed=(draft_id,))
        shown = {"label": "Tone", "topic": "Topic"}.get(field, field)
        if changed:
            return Done(f"{shown} corrected to {value}; kept for the model's training.")
        return Done(f"{shown} was already {value}.", changed=False)

    def bulk(self, picks: list[tuple[int, int]], actor: str, action: str) -> Done:
        """Close many drafts at once (``action``: a BULK_NOTES key), each as a rejection
        under its own version and claim rules; ``changed`` is False when any was refused.
        At most 500 picks are handled."""
        self._may(actor, "reject")
        note = BULK_NOTES.get(action)
        if note is None or not picks:
            raise ActionRefused("Nothing done: select items first.")
        done, refused = [], []
        for draft_id, version in picks[:500]:
            try:
                self.reject(draft_id, actor, version, note)
                done.append(draft_id)
            except (ActionRefused, StoreError) as exc:
                refused.append(str(exc))
        verb = "Rejected as spam" if action == "spam" else "Closed without reply"
        message = f"{verb}: {len(done)}."
        if refused:
            message += f" Not done: {len(refused)} ({refused[0]})."
        return Done(message, changed=not refused, removed=tuple(done))

    def edit(self, draft_id: int, actor: str, version: int, text: str) -> Done:
        self._may(actor, "edit")
        text = _normal(text)
        self._checked(draft_id, text, "saved")
        with _refusing("saved"):
            new = drafts.edit(self.store, draft_id, actor, version, text, self.clock.now())
        return Done("Draft saved." if new != version else "No change to save.", new)

    def approve(self, draft_id: int, actor: str, version: int,
                text: str | None = None) -> Done:
        """Approve the text the agent saw (or ``text``, saved first as an edit)."""
        self._may(actor, "approve")
        row = self._draft(draft_id)
        if row["template"] == drafts.REMINDER:
            raise ActionRefused(refusal("approved", [REMINDER_REFUSAL]))
        text = row["draft_text"] if text is None else _normal(text)
        self._checked(draft_id, text, "approved")
        if thread := drafts.reply_in_thread(self.store, row["mention_id"]):
            second = second_reply(self.settings.responder.policy,
                                  our_reply_at=from_iso(thread["at"]),
                                  replied_to_author=thread["handle"],
                                  author=row["author_handle"],
                                  created_at=from_iso(row["created_at"]))
            if second:
                why = f"{second.found[0].lower()}{second.found[1:]}; {second.then}"
                raise ActionRefused(refusal("approved", [why.rstrip(".")]))
        with _refusing("approved"):
            drafts.approve(self.store, draft_id, actor, version, self.clock.now(),
                           text=text if text != row["draft_text"] else None,
                           note=written_by(row, text))
        wait = self.settings.pipeline.undo_seconds
        handle = row["author_handle"]
        if wait:
            return Done(f"Approved: the reply to @{handle} goes out in {wait:g} seconds "
                        "unless you undo it.")
        return Done(f"Approved: the reply to @{handle} goes out with the next publish run.")

    def reject(self, draft_id: int, actor: str, version: int, note: str = "") -> Done:
        self._may(actor, "reject")
        note = note.strip()
        with _refusing("rejected"):
            drafts.reject(self.store, draft_id, actor, version, note, self.clock.now())
        return Done("Draft rejected" + (f": {note}" if note else "."))

    def skip(self, draft_id: int, actor: str) -> Done:
        self._may(actor, "skip")
        with _refusing("skipped"):
            drafts.skip(self.store, draft_id, actor, self.clock.now())
        return Done("Skipped for now; it moved to the end of your queue.")

    def undo(self, draft_id: int, actor: str) -> Done:
        self._may(actor, "approve")
        now = self.clock.now()
        window = timedelta(seconds=self.settings.pipeline.undo_seconds)
        with _refusing("undone"):
            version = drafts.unapprove(self.store, draft_id, actor, now - window, now)
        return Done("Undone: the reply was not sent and is back in the queue.", version)

    def replied_by_hand(self, draft_id: int, actor: str) -> Done:
        self._may(actor, "approve")
        with _refusing("marked"):
            inbox.replied_by_hand(self.store, draft_id, actor, self.clock.now())
        return Done("Marked as replied by hand.")

    def correct_outcome(self, conversation: str, actor: str, outcome: str | None = None,
                        satisfaction: str | None = None) -> Done:
        """One click: the agent's outcome and/or predicted-satisfaction label for a
        conversation. Stored with the texts judged (``outcome_corrections``, which
        `model adapt` learns from) and acted on at once: open reopens the customer's
        message at the top of the queue, resolved closes it."""
        self._may(actor, "label")
        if outcome is None and satisfaction is None:
            raise ActionRefused("Not corrected: choose an outcome or a satisfaction.")
        changed = []
        now = self.clock.now()
        with _refusing("corrected"):
            if outcome is not None and outcome_store.correct(
                    self.store, conversation, "outcome", outcome, actor, now):
                changed.append(f"outcome {outcome.replace('_', ' ')}")
            if satisfaction is not None and outcome_store.correct(
                    self.store, conversation, "satisfaction", satisfaction, actor, now,
                    score=RATING.get(satisfaction)):
                changed.append(f"predicted satisfaction {satisfaction}")
        if not changed:
            return Done("No change: the outcome already says that.")
        return Done(f"Corrected: {' and '.join(changed)}.")


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


class _refusing:
    """Turns the store's lost races into the agent's one-sentence refusal."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, ConflictError):
            raise ActionRefused(refusal(self.what, [str(exc)])) from exc
        return False
