"""Triage of a batch with the shipped model: praise is read blind to the handle."""

from __future__ import annotations

from config.settings import BrandSettings, Settings
from sentiment.batch import Item, triage_items
from sentiment.handles import vary_handles

PRAISE = ("@USAirways We're back at a gate. Opposite of wheels up. Im sure we'll get there "
          "eventually. So thanks.")


def test_praise_is_read_with_its_handles_varied_and_a_request_as_written(classifier):
    """The encoder learnt airline handles as airline traffic: read as written, this
    praise clears the praise bar; read as the training texts were (handles varied) it
    does not, and that reading decides. A request keeps its real handle's reading."""
    settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])])
    request = "@AppleSupport my iPhone will not charge since the update"
    as_written = classifier.classify([PRAISE, request])
    bar = classifier.thresholds["praise"]
    assert as_written[0].heads["needs_reply"] >= bar  # what the handle alone would do
    assert classifier.classify([vary_handles(PRAISE)])[0].heads["needs_reply"] < bar

    items = [Item(text, settings.brands[0], addressed=True) for text in (PRAISE, request)]
    (praise_read, praise), (request_read, asked) = triage_items(items, classifier, settings)

    assert (praise.needs_reply, praise.reason, praise.optional) == (False, "praise", True)
    assert praise.praise_only and praise_read.heads["needs_reply"] < bar
    assert asked.needs_reply and not asked.praise_only
    assert request_read.heads == as_written[1].heads
