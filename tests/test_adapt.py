"""`main.py model adapt`: refits on a desk's labels (corrections, approved replies, the
uncontested "no"s), switches only to a model that is no worse on the held-out labels,
and the daemon's model setting resolves to it.

The encoder is fixed, so these tests work on head inputs directly: a small made-up
space where "needs a reply" is one direction, with a shipped model, its training
sample and its manifest written to real files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import ModelError
from sentiment.adapt import (
    CURRENT,
    AdaptError,
    adapt_vectors,
    current_dir,
    is_held_out,
    resolve,
)
from sentiment.encoder import EncoderClassifier
from sentiment.train_wide import Dataset, FitSettings, compact_base, fit, row_weights, save_heads
from store.corrections import CONFIRMATION, CORRECTION, UNCONTESTED

DIM = 24
FAST = FitSettings(hidden=16, components=0, epochs=40, batch=64, dropout=0.0, lr=5e-3,
                   members=1)


def _space(n: int, direction: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    y = (x @ direction > 0).astype(np.int8)
    return x, y


def _shipped(tmp_path, direction: np.ndarray):
    """A shipped model folder: heads fitted where ``direction`` decides, a training
    sample, a manifest with thresholds, and what a model's version is made of (the
    encoder's weights, here a stand-in file)."""
    x, y = _space(600, direction, seed=1)
    targets = np.full((len(y), 4), -1, np.int8)
    targets[:, 0] = y
    sources = ["base"] * len(y)
    data = Dataset(x, targets, row_weights(sources), sources, sources)
    folder = tmp_path / "shipped"
    folder.mkdir()
    save_heads(fit(data, FAST), folder)
    np.savez_compressed(folder / "adapt_base.npz", **compact_base(data, rows=600))
    (folder / "weights.safetensors").write_bytes(b"the fine-tuned encoder")
    (folder / "manifest.json").write_text(json.dumps(
        {"head_inputs": ["features"], "base_sha256": "0" * 64,
         "heads": {"thresholds": {"needs_reply": 0.5, "unsure": 0.25}}}))
    return folder


def test_corrections_that_teach_the_desks_own_rule_switch_the_model(tmp_path):
    shipped_rule = np.eye(DIM, dtype=np.float32)[0]
    desk_rule = np.eye(DIM, dtype=np.float32)[1]  # this desk's customers differ
    shipped = _shipped(tmp_path, shipped_rule)
    (shipped / "later_head.safetensors").write_bytes(b"a head added later")
    x, y = _space(400, desk_rule, seed=2)
    data_dir = tmp_path / "data"
    outcome = adapt_vectors(x, list(y), list(range(400)), shipped, data_dir, settings=FAST)
    assert outcome.switched and outcome.after["cost"] < outcome.before["cost"]
    # The desk chooses where its queue begins; the confident bar keeps its ratio above.
    assert outcome.thresholds["needs_reply"] == pytest.approx(2 * outcome.thresholds["unsure"])
    assert outcome.held_out == sum(is_held_out(i) for i in range(400))
    assert current_dir(data_dir) == outcome.directory
    assert (data_dir / "models" / CURRENT).read_text().strip() == outcome.directory.name
    assert resolve("default", data_dir) == str(outcome.directory)
    assert resolve("/some/other/model", data_dir) == "/some/other/model"
    manifest = json.loads((outcome.directory / "manifest.json").read_text())
    assert manifest["adapted"]["corrections"] == 400
    # Every shipped file but the heads and the manifest comes along, whatever it is.
    for name in ("later_head.safetensors", "adapt_base.npz", "weights.safetensors"):
        assert (outcome.directory / name).resolve() == (shipped / name).resolve()
    assert not (outcome.directory / "heads.safetensors").is_symlink()
    assert outcome.version and outcome.version in outcome.directory.name


def test_adapt_refuses_a_model_that_is_worse_on_the_held_out_corrections(tmp_path):
    rule = np.eye(DIM, dtype=np.float32)[0]
    shipped = _shipped(tmp_path, rule)
    x, y = _space(300, rule, seed=3)
    ids = list(range(300))
    held = np.array([is_held_out(i) for i in ids])
    # Agents' clicks on the training part are the opposite of what is right, the
    # held-out part stays right: the refit learns nonsense and must not be used.
    wrong = np.where(held, y, 1 - y)
    data_dir = tmp_path / "data"
    outcome = adapt_vectors(x, list(wrong), ids, shipped, data_dir, settings=FAST)
    assert not outcome.switched
    assert outcome.after["cost"] > outcome.before["cost"]
    assert current_dir(data_dir) is None and resolve("default", data_dir) == "default"


def test_only_a_clearly_cheaper_refit_counts_as_better():
    """The switch rule on per-mention costs (5 a miss, 1 a false alarm): equal is not
    better, a net false alarm fewer among a hundred mentions is luck, not better, and a
    gain spread over many mentions is."""
    from sentiment.adapt import clearly_better, mention_costs

    gold = np.array([1] * 20 + [0] * 80)
    old = mention_costs(gold, np.array([0.9] * 20 + [0.6] * 30 + [0.1] * 50), 0.5)
    assert old.sum() == 30  # thirty false alarms
    assert not clearly_better(old, old)
    lucky = old.copy()
    lucky[[20, 21, 90]] = [0, 0, 1]  # two false alarms gone, a new one
    assert not clearly_better(old, lucky)
    fixed = mention_costs(gold, np.array([0.9] * 20 + [0.3] * 20 + [0.6] * 10 + [0.1] * 50),
                          0.5)  # fmt: skip
    assert clearly_better(old, fixed)
    missing = mention_costs(gold, np.array([0.3] * 5 + [0.9] * 15 + [0.3] * 30 + [0.1] * 50),
                            0.5)  # fmt: skip
    assert missing.sum() == 25 and not clearly_better(old, missing)  # 5 misses cost more


def test_too_few_corrections_are_refused_with_a_reason(tmp_path):
    shipped = _shipped(tmp_path, np.eye(DIM, dtype=np.float32)[0])
    x, y = _space(10, np.eye(DIM, dtype=np.float32)[0], seed=4)
    with pytest.raises(AdaptError, match="at least"):
        adapt_vectors(x, list(y), list(range(10)), shipped, tmp_path / "data", settings=FAST)
    # Confirmations and uncontested "no"s tell nothing the model got wrong: however
    # many, they do not make up for corrections.
    x, y = _space(300, np.eye(DIM, dtype=np.float32)[0], seed=4)
    kinds = [CORRECTION] * 10 + [CONFIRMATION if v else UNCONTESTED for v in y[10:]]
    with pytest.raises(AdaptError, match="10 needs_reply corrections"):
        adapt_vectors(x, list(y), list(range(300)), shipped, tmp_path / "data", kinds=kinds,
                      settings=FAST)


def _desk_stream(shipped, x: np.ndarray, y: np.ndarray, review: float = 0.3
                 ) -> list[str]:
    """What a desk's agents tell the model about mentions it triaged: its false alarms
    corrected, its right yeses confirmed by approved replies, the misses among the
    ``review`` share of the rest corrected, the other "no"s left uncontested."""
    from sentiment.train_wide import load_heads

    said = load_heads(shipped).probs(x)[:, 0] >= 0.5
    reviewed = np.arange(len(y)) % 10 < review * 10
    return [(CONFIRMATION if gold else CORRECTION) if s else
            (CORRECTION if gold and r else UNCONTESTED)
            for s, gold, r in zip(said, y, reviewed, strict=True)]


def test_a_desks_mistakes_and_replies_make_it_better_on_its_own_fresh_traffic(tmp_path):
    """A desk where half of what the shipped model flags needs no reply (its customers
    chat in ways the model takes for requests): the model's mistakes as agents meet
    them, with the replies they approve and the quiet traffic, give heads that cost
    less than the shipped ones on mentions the desk has not seen yet, and the held-out
    comparison counts every kind of label."""
    from sentiment.adapt import decision_figures
    from sentiment.train_wide import load_heads

    def desk(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
        return x, ((x[:, 0] > 0) & (x[:, 1] > 0)).astype(np.int8)

    shipped = _shipped(tmp_path, np.eye(DIM, dtype=np.float32)[0])
    x, y = desk(1200, seed=8)
    kinds = _desk_stream(shipped, x, y)
    values = [0 if k == UNCONTESTED else int(v) for k, v in zip(kinds, y, strict=True)]
    assert {CORRECTION, CONFIRMATION, UNCONTESTED} == set(kinds)
    data_dir = tmp_path / "data"
    outcome = adapt_vectors(x, values, list(range(1200)), shipped, data_dir, kinds=kinds,
                            settings=FAST)
    assert outcome.switched and outcome.after["cost"] < outcome.before["cost"]
    assert outcome.corrections == kinds.count(CORRECTION)
    assert outcome.confirmations == kinds.count(CONFIRMATION)
    assert outcome.held_out == sum(is_held_out(i) for i in range(1200))
    assert outcome.before["recall"] > 0.5  # judged on its right answers too
    fresh_x, fresh_y = desk(2000, seed=6)
    before = decision_figures(fresh_y, load_heads(shipped).probs(fresh_x)[:, 0], 0.5)
    adapted = current_dir(data_dir)
    assert adapted is not None
    manifest = json.loads((adapted / "manifest.json").read_text())
    after = decision_figures(fresh_y, load_heads(adapted).probs(fresh_x)[:, 0],
                             manifest["heads"]["thresholds"]["needs_reply"])
    assert after["cost"] < 0.8 * before["cost"]
    assert manifest["adapted"]["confirmations"] == outcome.confirmations


def test_a_refit_on_wrong_clicks_is_refused_whatever_the_kinds(tmp_path):
    """The refusal holds with every kind of label: agents whose clicks in the training
    part are the opposite of what is right (the held-out part stays right) get no new
    model, however the labels came in."""
    rule = np.eye(DIM, dtype=np.float32)[0]
    shipped = _shipped(tmp_path, rule)
    x, y = _space(600, rule, seed=7)
    ids = list(range(600))
    held = np.array([is_held_out(i) for i in ids])
    kinds = [CORRECTION if i % 3 == 0 else (CONFIRMATION if v else UNCONTESTED)
             for i, v in enumerate(y)]
    wrong = np.where(held, y, 1 - y)
    data_dir = tmp_path / "data"
    outcome = adapt_vectors(x, list(wrong), ids, shipped, data_dir, kinds=kinds, settings=FAST)
    assert not outcome.switched
    assert outcome.after["cost"] > outcome.before["cost"]
    assert current_dir(data_dir) is None


def test_the_desk_loads_the_adapted_model_and_its_version_is_stored(make_settings, clock):
    """After adapting, a restarted desk loads the adapted heads, and a running one
    serves them from its next batch when reloaded (SIGHUP), over the networks it already
    holds; triage rows written before keep the old version, rows after carry the new."""
    from listener.platforms import build_publisher, build_source
    from pipeline.jobs import Pipeline
    from sentiment.adapt import Outcome, desk_model, install
    from sentiment.train_wide import load_heads
    from sentiment.transformer import DEFAULT_MODEL_DIR, load_models
    from store.schema import open_store
    from tests.support import mention_line

    settings = make_settings([
        mention_line("p1", "@lumora my order never arrived, where is it"),
        mention_line("p2", "@lumora the hub keeps dropping off wifi", offset=100),
    ])
    shipped, _ = load_models(desk_model(settings))
    pipeline = Pipeline(
        store=open_store(settings.app.database), settings=settings, classifier=shipped,
        sources={s.name: build_source(s, settings, clock) for s in settings.sources},
        publishers={s.name: build_publisher(s, settings, clock) for s in settings.sources},
        clock=clock,
    )
    pipeline.run_once()

    heads = load_heads(DEFAULT_MODEL_DIR)
    heads.out_b = heads.out_b + 0.5  # stands in for a refit: any change is a new model
    outcome = Outcome(corrections=40, held_out=10, before={}, after={}, switched=True)
    folder, version = install(heads, {"needs_reply": 0.3}, DEFAULT_MODEL_DIR,
                              settings.app.data_dir, outcome)
    restarted, _ = load_models(desk_model(settings))  # what the daemon does at start
    assert restarted.version != shipped.version and restarted.name == str(folder)
    # What `model adapt` reports and names the folder by is what the rows will carry.
    assert restarted.version == version and folder.name == f"adapted-{version}"
    assert restarted.thresholds["needs_reply"] == 0.3

    said = pipeline.reload_model()  # what the running daemon does on SIGHUP
    reloaded = pipeline.classifier
    assert said == (f"reload: now serving model {folder} version {restarted.version} "
                    f"(was default version {shipped.version})")
    assert reloaded.version == restarted.version and reloaded.thresholds["needs_reply"] == 0.3
    assert isinstance(reloaded, EncoderClassifier) and isinstance(shipped, EncoderClassifier)
    assert reloaded.encoder is shipped.encoder  # no second copy of the networks
    assert pipeline.reload_model() == f"reload: model {folder} version {reloaded.version} unchanged"
    assert pipeline.classifier is reloaded
    clock.advance(101)
    pipeline.run_once()

    stored = {r["platform_id"]: r["model_version"] for r in pipeline.store.query(
        "SELECT m.platform_id, t.model_version FROM triage t JOIN mentions m"
        " ON m.id = t.mention_id")}
    assert stored == {"p1": shipped.version, "p2": restarted.version}

    (settings.app.data_dir / "models" / CURRENT).unlink()  # back to the shipped heads
    assert pipeline.reload_model().startswith(
        f"reload: now serving model default version {shipped.version} (was {folder}")


def test_a_model_only_a_restart_can_serve_is_refused_by_a_reload_and_the_old_one_goes_on(
        make_settings, clock):
    from pipeline.jobs import Pipeline
    from store.schema import open_store

    class TorchServed:  # stands in for a hub model or ``runtime = "torch"``
        name, version, thresholds = "some/hub-model", "0123456789ab", {}

        def classify(self, texts):
            raise AssertionError("a refused reload classifies nothing")

    settings = make_settings([])
    served = TorchServed()
    pipeline = Pipeline(store=open_store(settings.app.database), settings=settings,
                        classifier=served, sources={}, publishers={}, clock=clock)
    with pytest.raises(ModelError, match="restart the daemon to change it"):
        pipeline.reload_model()
    assert pipeline.classifier is served


def test_model_adapt_reads_the_desks_corrections_and_reports_before_and_after(
        make_settings, clock, tmp_path, capsys):
    """`main.py model adapt` end to end: agents' one-click needs_reply corrections in the
    database, the shipped encoder and training sample, a verdict either way."""
    import main
    from listener.platforms import build_publisher, build_source
    from pipeline.jobs import Pipeline
    from sentiment.transformer import load_models
    from store import inbox
    from store.schema import open_store
    from tests.support import mention_line

    asks = ["my order {} never arrived", "where is my refund for order {}",
            "the hub {} keeps going offline", "charged twice for order {}"]
    chatter = ["lovely weather in town {} today", "watching the match {} tonight",
               "great coffee at place {}", "new haircut number {} 😎"]
    lines = [mention_line(f"m{i}", "@lumora " + (asks if i % 2 else chatter)[i % 4].format(i))
             for i in range(120)]  # fmt: skip
    settings = make_settings(lines)
    pipeline = Pipeline(
        store=open_store(settings.app.database), settings=settings,
        classifier=load_models(settings.model)[0],
        sources={s.name: build_source(s, settings, clock) for s in settings.sources},
        publishers={s.name: build_publisher(s, settings, clock) for s in settings.sources},
        clock=clock,
    )
    pipeline.run_once()
    store = pipeline.store
    rows = store.query("SELECT m.id FROM mentions m")
    for row in rows:  # a chatty brand: this desk answers every mention, small talk too
        inbox.correct_label(store, row["id"], "needs_reply", "1", "ann", clock.now())
    corrected = len(store.query("SELECT DISTINCT mention_id FROM label_corrections"))
    assert corrected >= 20  # the model said no to the small talk
    config = tmp_path / "config.toml"
    code = main.main(["--config", str(config), "model", "adapt"], clock)
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert f"{corrected} corrections" in out and "before (model in use)" in out
    assert "after (adapted)" in out
    if code == 0:
        assert "switched to" in out and current_dir(settings.app.data_dir) is not None
    else:
        assert "refused" in out and current_dir(settings.app.data_dir) is None


def test_approved_replies_confirm_a_need_and_corrections_win(store, clock):
    """A reply an agent approved (then posting, posted, or failed on the platform) is the
    desk saying "this needed a reply"; a pending, rejected or taken-back draft says
    nothing, a thank-you for praise needed none (an uncontested "no", like any "no"
    nobody corrected), a needs_reply correction is the agent's explicit answer whatever
    was posted, and a redacted post has no text to learn from."""
    from datetime import timedelta

    from core.reply import Posted
    from store import drafts, inbox, mentions, publishing
    from store.corrections import desk_labels, reply_confirmations, uncontested
    from tests.support.actions import seed, seed_mention

    def approved(text: str) -> tuple[int, int]:
        mention_id, draft_id = seed(store, clock, text, "Hi, we are on it")
        drafts.approve(store, draft_id, "ann", 1, clock.now())
        return mention_id, draft_id

    waiting, _ = approved("where is my order 1")
    posted, draft = approved("where is my order 2")
    publishing.mark_posting(store, draft, clock.now())
    publishing.mark_posted(store, draft, Posted("r2", clock.now()), clock.now())
    failed, draft = approved("where is my order 3")
    publishing.mark_posting(store, draft, clock.now())
    publishing.mark_failed(store, draft, clock.now())
    pending, _ = seed(store, clock, "where is my order 4", "Hi")
    rejected, draft = seed(store, clock, "where is my order 5", "Hi")
    drafts.reject(store, draft, "ann", 1, "a bot", clock.now())
    undone, draft = approved("where is my order 6")
    drafts.unapprove(store, draft, "ann", clock.now() - timedelta(seconds=5), clock.now())
    thanked = seed_mention(store, clock, "love the new hub", needs=False, optional=True)
    drafts.approve(store, drafts.create(store, thanked, "Thanks!", clock.now()) or 0, "ann",
                   1, clock.now())
    overruled, _ = approved("where is my order 7")
    inbox.correct_label(store, overruled, "needs_reply", "0", "bo", clock.now())
    gone, _ = approved("where is my order 8")
    mentions.redact(store, gone, "deleted on the platform", clock.now())

    quiet = seed_mention(store, clock, "nice weather today", needs=False)
    missed = seed_mention(store, clock, "my hub is dead", needs=False)
    inbox.correct_label(store, missed, "needs_reply", "1", "bo", clock.now())

    assert [c.mention_id for c in reply_confirmations(store)] == [waiting, posted, failed]
    assert [c.mention_id for c in reply_confirmations(store, limit=2)] == [posted, failed]
    # A "no" from an hour ago may be a miss nobody has looked at yet: not a label.
    fresh = {c.mention_id for c in desk_labels(store, clock.now() + timedelta(hours=1))}
    assert quiet not in fresh and thanked not in fresh and missed in fresh
    settled = clock.now() + timedelta(days=1, seconds=1)
    labels = {c.mention_id: (c.value, c.kind) for c in desk_labels(store, settled)}
    assert labels == {waiting: (1, CONFIRMATION), posted: (1, CONFIRMATION),
                      failed: (1, CONFIRMATION), overruled: (0, CORRECTION),
                      thanked: (0, UNCONTESTED), quiet: (0, UNCONTESTED),
                      missed: (1, CORRECTION)}
    assert {pending, rejected, undone, gone}.isdisjoint(labels)
    assert [c.mention_id for c in uncontested(store, settled, limit=1)] == [quiet]  # latest
