"""@handles as the model reads them: varied, never a brand's real name.

The heads and the tone head learned from texts whose handles were replaced by made-up
ones (``vary_handles``), so that no brand's name could become a shortcut. Served texts
carry real handles; read raw, a handle the fine-tuned encoder saw thousands of times
in one source stood for that source's judgement: on the airline tweets held out from
training, "@united" and its kind alone sent 34 % of the praise to the queue, 28 % once
varied (issue 17). ``model_text`` gives served texts the same treatment as training
texts, so what the by-source figures measured is what the desk runs.
"""

from __future__ import annotations

import hashlib
import re

# Made-up brand and user handles; a text's handles are replaced by ones drawn from these.
BRANDS = ("Lumora", "NovaBank", "AcmeHelp", "QuillMobile", "OrbitAir", "PeakFiber",
          "TessaShop", "VelaCare", "BrightRail", "KiteGames", "HelioEnergy", "MarlowFoods",
          "ZenithTV", "CobaltPay", "SprigSupport", "AtlasStream", "FernHotels",
          "RidgeAuto")  # fmt: skip
USERS = ("jess_m", "dkaur", "tom_bee", "ana_r", "mikeyp", "lolo22", "sam_writes", "kofi_a",
         "rjenkins", "neha__", "petewong", "marta_s")  # fmt: skip
HANDLE = re.compile(r"@(\w+)")
_STAND_INS = frozenset(BRANDS + USERS)


def _draw(text: str, salt: str, pool: tuple[str, ...]) -> str:
    digest = hashlib.sha1(f"{salt}\0{text}".encode()).digest()
    return pool[digest[0] % len(pool)]


def vary_handles(text: str, brands: set[str] | None = None, *, prefix: bool = False,
                 keep_stand_ins: bool = False) -> str:
    """``text`` with every @handle replaced by a made-up one (the same handle always gets
    the same stand-in within a text): numeric ids and handles outside ``brands`` become
    users, the rest brands. With ``prefix`` a text with no handle gets a brand handle in
    front every other time (by hash), as a mention to a brand would. With
    ``keep_stand_ins`` a handle that already is a stand-in stays, so a varied text
    comes back unchanged."""
    known = {b.lower() for b in brands} if brands is not None else None
    seen: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if keep_stand_ins and name in _STAND_INS:
            return match.group(0)
        if name not in seen:
            is_user = name.isdigit() or name.lower() == "user" or (
                known is not None and name.lower() not in known)
            pool = USERS if is_user else BRANDS
            seen[name] = _draw(text, name, pool)
        return "@" + seen[name]

    varied = HANDLE.sub(swap, text)
    if prefix and "@" not in text and _draw(text, "prefix", ("", "y")):
        varied = f"@{_draw(text, 'brand', BRANDS)} {varied}"
    return varied


def model_text(text: str) -> str:
    """A served text as the heads were trained to read it: real handles varied as in
    training (a numeric id or "@user" a made-up user, any other a made-up brand), the
    made-up ones already there kept, so training texts read the same again."""
    return vary_handles(text, keep_stand_ins=True)
