"""Agent actions: the one place that decides whether an agent's action may happen.

The web inbox, the terminal review and anything later call these functions and show
their message; no interface re-implements a rule. What is enforced here:

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
    actions.release(mention_id, actor) -> Done
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

Each returns ``Done`` whose ``message`` is one sentence for the agent, or raises
``ActionRefused`` whose text is one sentence saying why nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from config.settings import Settings
from core.clock import Clock, from_iso
from core.errors import ActionRefused, ConflictError
from listener.platforms import platform_length, reply_limit
from responder.acceptance import written_by
from responder.policy import MachineCheck, machine_problems, reply_problems, second_reply
from sentiment.outcomes import RATING
from store import drafts, inbox
from store import outcomes as outcome_store
from store.db import Store


@dataclass(frozen=True)
class Done:
    message: str  # one sentence the interface shows as is
    version: int | None = None  # the draft's version after the action, when it has one


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
        with _refusing("assigned"):
            drafts.claim(self.store, mention_id, actor, self.clock.now(), takeover=takeover)
        return Done("Taken over: it is yours now." if takeover else "Assigned to you.")

    def release(self, mention_id: int, actor: str) -> Done:
        if drafts.release(self.store, mention_id, actor, self.clock.now()):
            return Done("Released: colleagues can pick it up.")
        return Done("Nothing to release: it was not assigned to you.")

    def edit(self, draft_id: int, actor: str, version: int, text: str) -> Done:
        text = _normal(text)
        self._checked(draft_id, text, "saved")
        with _refusing("saved"):
            new = drafts.edit(self.store, draft_id, actor, version, text, self.clock.now())
        return Done("Draft saved." if new != version else "No change to save.", new)

    def approve(self, draft_id: int, actor: str, version: int,
                text: str | None = None) -> Done:
        """Approve the text the agent saw (or ``text``, saved first as an edit)."""
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
                why = second.message.rstrip(".")
                raise ActionRefused(refusal("approved", [why[0].lower() + why[1:]]))
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
        note = note.strip()
        with _refusing("rejected"):
            drafts.reject(self.store, draft_id, actor, version, note, self.clock.now())
        return Done("Draft rejected" + (f": {note}" if note else "."))

    def skip(self, draft_id: int, actor: str) -> Done:
        with _refusing("skipped"):
            drafts.skip(self.store, draft_id, actor, self.clock.now())
        return Done("Skipped for now; it moved to the end of your queue.")

    def undo(self, draft_id: int, actor: str) -> Done:
        now = self.clock.now()
        window = timedelta(seconds=self.settings.pipeline.undo_seconds)
        with _refusing("undone"):
            version = drafts.unapprove(self.store, draft_id, actor, now - window, now)
        return Done("Undone: the reply was not sent and is back in the queue.", version)

    def replied_by_hand(self, draft_id: int, actor: str) -> Done:
        with _refusing("marked"):
            inbox.replied_by_hand(self.store, draft_id, actor, self.clock.now())
        return Done("Marked as replied by hand.")

    def correct_outcome(self, conversation: str, actor: str, outcome: str | None = None,
                        satisfaction: str | None = None) -> Done:
        """One click: the agent's outcome and/or predicted-satisfaction label for a
        conversation. Stored with the texts judged (``outcome_corrections``, which
        `model adapt` learns from) and acted on at once: open reopens the customer's
        message at the top of the queue, resolved closes it."""
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


    # --- mention tools (issue 22 added these minimal ones; issue 18 may extend them) ----

    def assign(self, mention_id: int, actor: str, assignee: str,
               allowed: list[str]) -> Done:
        """Give a mention to a colleague; ``allowed`` are the accounts that may take
        mentions (the interface knows its users)."""
        if assignee not in allowed:
            raise ActionRefused(f"Not done: {assignee or 'nobody'} cannot take mentions.")
        try:
            before = inbox.assign(self.store, mention_id, assignee, actor, self.clock.now())
        except ConflictError as exc:
            raise ActionRefused(f"Not done: {exc}.") from exc
        if before == assignee:
            return Done(f"Already assigned to {assignee}.")
        return Done(f"Assigned to {assignee}" + (f" (was {before})." if before else "."))

    def note(self, mention_id: int, actor: str, text: str) -> Done:
        """An internal note for colleagues, never posted."""
        text = _normal(text)
        if not text:
            raise ActionRefused("Not added: the note is empty.")
        try:
            inbox.add_note(self.store, mention_id, actor, text, self.clock.now())
        except ConflictError as exc:
            raise ActionRefused(f"Not added: {exc}.") from exc
        return Done("Note added.")

    def correct(self, mention_id: int, actor: str, field: str, value: str) -> Done:
        """An agent's correction of the model's tone, topic or needs-reply, kept for
        training (store.inbox.correct_label)."""
        try:
            changed = inbox.correct_label(self.store, mention_id, field, value, actor,
                                          self.clock.now())
        except ConflictError as exc:
            raise ActionRefused(f"Not done: {exc}.") from exc
        shown = {"label": "Tone", "topic": "Topic"}.get(field, field)
        return Done(f"{shown} corrected to {value}; kept for the model's training." if changed
                    else f"{shown} was already {value}.")


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
