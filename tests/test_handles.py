"""Handles as the training texts carry them: varied, so no head learns a brand's name
(issue 17)."""

from __future__ import annotations

from sentiment.handles import BRANDS, USERS, vary_handles


def test_real_handles_become_made_up_brands_and_users() -> None:
    text = "@united @AmericanAir my bag never arrived, cc @12345 and @user"
    varied = vary_handles(text)
    handles = [w.strip(",") for w in varied.split() if w.startswith("@")]
    assert "united" not in varied and "AmericanAir" not in varied
    assert [h[1:] in BRANDS for h in handles] == [True, True, False, False]
    assert all(h[1:] in USERS for h in handles[2:])
    assert varied.endswith("my bag never arrived, cc " + " and ".join(handles[2:]))
    assert vary_handles(text) == varied  # drawn by a hash of the text, not at random


def test_the_same_handle_gets_the_same_stand_in_within_a_text() -> None:
    varied = vary_handles("@united hello @united again")
    first, second = varied.split()[0], varied.split()[2]
    assert first == second and first != "@united"


def test_handles_outside_the_known_brands_are_users() -> None:
    varied = vary_handles("@AppleSupport my phone, says @dana_k", brands={"applesupport"})
    brand, user = varied.split()[0], varied.split()[-1]
    assert brand[1:] in BRANDS and user[1:] in USERS
