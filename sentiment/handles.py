"""@handles as the training texts carry them: varied, never a brand's real name.

Every training text's handles are replaced by made-up ones (``vary_handles``), so that no
head can learn a brand's name as a shortcut. Served texts are read as written: serving
varied handles too was measured and was worse where it matters most (held-out brands'
raw care traffic: needs_reply recall 0.973 -> 0.968; docs/model.md, *Praise and real
handles*; ``bench/praise_and_handles.py``). Praise and nothing else is the exception
(``sentiment.batch``): its needs_reply is read with the handles varied, which costs no
held-out request and queues less airline praise (*Praise read blind to the handle*).
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


def _draw(text: str, salt: str, pool: tuple[str, ...]) -> str:
    digest = hashlib.sha1(f"{salt}\0{text}".encode()).digest()
    return pool[digest[0] % len(pool)]


def vary_handles(text: str, brands: set[str] | None = None, *, prefix: bool = False) -> str:
    """``text`` with every @handle replaced by a made-up one (the same handle always gets
    the same stand-in within a text): numeric ids and handles outside ``brands`` become
    users, the rest brands. With ``prefix`` a text with no handle gets a brand handle in
    front every other time (by hash), as a mention to a brand would."""
    known = {b.lower() for b in brands} if brands is not None else None
    seen: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
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
