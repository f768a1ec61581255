"""Resolving settings: environment > config file > defaults.

- The file is TOML: ``--config PATH``, else ``$MENTIONDESK_CONFIG``, else the demo
  default ``config/demo.toml``.
- Any scalar key of the sections in ``ENV_SECTIONS`` can be overridden by an
  environment variable ``MENTIONDESK_<SECTION>_<KEY>``, e.g. ``MENTIONDESK_WEB_PORT=9000``;
  a nested section's dots become underscores (``MENTIONDESK_RESPONDER_AI_ENABLED``).
  Any other ``MENTIONDESK_`` variable that is neither a secret (``config.secrets``) nor
  one of ``PROCESS_VARIABLES`` is a mistake (a misspelt section, a section the
  environment cannot set) and stops start-up like an unknown key: silently ignored, it
  would leave the operator believing a setting had changed.
- Everything not set falls back to the defaults in ``config.settings``.
Relative paths are relative to the working directory (a replay file not found there
is looked up among the shipped files, for the demo).
A bad setting raises ``ConfigError`` naming the file (or variable), the key and the
problem; ``main.py`` prints it as one line and exits with code 2.

Config imports no stage: the source settings models are registered by the platform
registry (``listener.platforms``), and checks that belong to a stage (the reply policy
on templates) come in as ``checks``; ``pipeline.settings.load_settings`` composes both.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config import settings as settings_module
from config.secrets import SECRETS
from config.settings import Settings
from core.clock import OFFSET_ENV
from core.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent / "demo.toml"
SHIPPED = Path(__file__).resolve().parent.parent  # the checkout, or site-packages
ENV_PREFIX = "MENTIONDESK_"
ENV_SECTIONS = ("app", "web", "model", "triage", "sla", "responder", "pipeline", "metrics",
                "responder.ai")
# Read by the process, not settings: the file to load, the clock's offset (core.clock).
PROCESS_VARIABLES = (f"{ENV_PREFIX}CONFIG", OFFSET_ENV)


def config_path(explicit: Path | None, env: Mapping[str, str]) -> Path:
    if explicit:
        return explicit
    return Path(env[f"{ENV_PREFIX}CONFIG"]) if env.get(f"{ENV_PREFIX}CONFIG") else DEFAULT_CONFIG


def config_origin(explicit: Path | None, env: Mapping[str, str]) -> str:
    """The configuration file in use and why that one, for commands that say so."""
    file = config_path(explicit, env).resolve()
    if explicit:
        return f"{file} (--config)"
    if env.get(f"{ENV_PREFIX}CONFIG"):
        return f"{file} ($MENTIONDESK_CONFIG)"
    return (f"{file} (the demo's default: no --config given and MENTIONDESK_CONFIG "
            "unset)")


def _env_overrides(env: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """{(section, key): (value, variable)} for every MENTIONDESK_<SECTION>_<KEY>.
    A registered secret (config.secrets, e.g. MENTIONDESK_METRICS_TOKEN) is read only
    where it is used, never as a setting, whatever section its name starts with."""
    found = {}
    # The longest prefix first, so a nested section is never read as its parent's key.
    sections = sorted(ENV_SECTIONS, key=len, reverse=True)
    for variable, value in env.items():
        if (variable in SECRETS or variable in PROCESS_VARIABLES
                or not variable.startswith(ENV_PREFIX)):
            continue
        for section in sections:
            prefix = f"{ENV_PREFIX}{section.upper().replace('.', '_')}_"
            if variable.startswith(prefix) and len(variable) > len(prefix):
                found[(section, variable[len(prefix):].lower())] = (value, variable)
                break
        else:
            shown = ", ".join(s.replace(".", "_").upper() for s in ENV_SECTIONS)
            raise ConfigError(f"environment {variable}", "-",
                              "not a setting or secret mentiondesk reads (settings: "
                              f"MENTIONDESK_<SECTION>_<KEY> for {shown}; secrets: "
                              "docs/settings.md)")
    return found


def _key(loc: tuple[Any, ...]) -> str:
    # Drop the discriminator tags pydantic adds for tagged unions ("replay", ...).
    tags = settings_module.SOURCE_MODELS
    parts = [str(p) for p in loc if not (isinstance(p, str) and p in tags)]
    return ".".join(parts) or "(top level)"


Check = Callable[[Settings], None]  # raises ConfigError; its ``file`` is filled in here


def load(path: Path | None = None, env: Mapping[str, str] | None = None,
         checks: Sequence[Check] = ()) -> Settings:
    """Settings from ``path`` (see the module doc), validated, then each of ``checks``.

    The platforms must be registered first (importing ``listener.platforms`` does it):
    without them no source could be read.
    """
    if not settings_module.SOURCE_MODELS:
        raise RuntimeError("no platform registered: import listener.platforms (or load "
                           "through pipeline.settings.load_settings) before config.loader.load")
    env = os.environ if env is None else env
    file = config_path(path, env)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(file), "-", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(file), "-", f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), "-", f"not valid TOML: {exc}") from None

    origins: dict[str, str] = {}
    for (section, key), (value, variable) in _env_overrides(env).items():
        table = data
        for part in section.split("."):
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise ConfigError(str(file), section, "must be a table")
        table[key] = value
        origins[f"{section}.{key}"] = variable

    _shipped_paths(data)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = _key(error["loc"])
        # A variable's own key, or a section-wide check on a section it set.
        where = next((f"environment {v}" for k, v in origins.items()
                      if key.startswith(k) or k.startswith(f"{key}.")), str(file))
        problem = error["msg"]
        if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
            problem += f" (got {error['input']!r:.60})"
        if error["type"] == "extra_forbidden":
            problem = "unknown setting (see docs/settings.md)"
        raise ConfigError(where, key, problem) from None
    _check_files(settings, str(file))
    for check in checks:
        try:
            check(settings)
        except ConfigError as exc:
            raise ConfigError(str(file), exc.key, exc.problem) from None
    return settings


def _shipped_paths(data: dict[str, Any]) -> None:
    """A replay source's relative ``path`` missing from the working directory is looked
    up among the files shipped with mentiondesk (``samples/...``), so the demo config
    works from an installed package, whatever the working directory."""
    for source in data.get("sources", []):
        if not isinstance(source, dict) or not isinstance(source.get("path"), str):
            continue
        path = Path(source["path"])
        if not path.is_absolute() and not path.exists() and (SHIPPED / path).is_file():
            source["path"] = str(SHIPPED / path)


def _check_files(settings: Settings, file: str) -> None:
    for i, source in enumerate(settings.sources):
        for key, path in source.files().items():
            if not path.is_file():
                raise ConfigError(file, f"sources.{i}.{key}", f"no such file: {path}")
