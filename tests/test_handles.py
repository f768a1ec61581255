"""Handles as the model reads them: varied like the training texts, so a brand's real
handle is never a shortcut (issue 17)."""

from __future__ import annotations

from sentiment.handles import BRANDS, USERS, model_text, vary_handles


def test_a_served_texts_real_handles_become_made_up_ones() -> None:
    text = "@united @AmericanAir my bag never arrived, cc @12345 and @user"
    served = model_text(text)
    handles = [w.strip(",") for w in served.split() if w.startswith("@")]
    assert "united" not in served and "AmericanAir" not in served
    assert [h[1:] in BRANDS for h in handles] == [True, True, False, False]
    assert all(h[1:] in USERS for h in handles[2:])
    assert served.endswith("my bag never arrived, cc " + " and ".join(handles[2:]))
    assert model_text(text) == served  # drawn by a hash of the text, not at random


def test_a_training_text_reads_the_same_when_served() -> None:
    for raw in ("@Delta lost my luggage", "@115712 hi @AppleSupport my phone is dead",
                "mail me at jo@example.com"):
        varied = vary_handles(raw)
        assert model_text(varied) == varied
    assert model_text("no handle here") == "no handle here"


def test_the_same_handle_gets_the_same_stand_in_within_a_text() -> None:
    served = model_text("@united hello @united again")
    first, second = served.split()[0], served.split()[2]
    assert first == second and first != "@united"
