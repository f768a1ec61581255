"""Configuration: precedence, validation with one clear line, documented settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from config import settings as settings_module
from config.secrets import SECRETS, secret
from core.errors import ConfigError
from listener.platforms import PLATFORMS
from pipeline.settings import load_settings as load
from tests.support import BASE_TOML, REPO


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "m.jsonl").write_text("", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def base(tmp_path: Path) -> str:
    return BASE_TOML.format(tmp=tmp_path, mentions=tmp_path / "m.jsonl")


def test_demo_config_loads():
    settings = load(REPO / "config" / "demo.toml", env={})
    assert settings.brands[0].name == "Lumora"
    assert settings.sources[0].platform == "replay"


def test_production_example_loads():
    settings = load(REPO / "config" / "production.example.toml", env={})
    assert settings.brands


def test_environment_overrides_file(tmp_path):
    path = write(tmp_path, base(tmp_path) + '\n[web]\nport = 8000\n')
    assert load(path, env={}).web.port == 8000
    assert load(path, env={"MENTIONDESK_WEB_PORT": "9001"}).web.port == 9001


def test_inbox_links_follow_the_port_unless_a_public_url_is_set(tmp_path):
    # Digest and alert links: a desk moved to another port must not link to 8080.
    path = write(tmp_path, base(tmp_path) + '\n[web]\nhost = "0.0.0.0"\nport = 9123\n')
    assert load(path, env={}).inbox_url() == "http://127.0.0.1:9123"
    env = {"MENTIONDESK_METRICS_PUBLIC_URL": "https://desk.example/"}
    assert load(path, env=env).inbox_url() == "https://desk.example"
    with pytest.raises(ConfigError, match="http"):
        load(path, env={"MENTIONDESK_METRICS_PUBLIC_URL": "desk.example"})


def test_defaults_fill_what_the_file_leaves_out(tmp_path):
    settings = load(write(tmp_path, base(tmp_path)), env={})
    assert settings.sla.first_response_minutes == 60
    assert settings.model.name == "default"


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        ("\n[web]\nprot = 8000\n", "web.prot", "unknown setting"),
        ('\n[web]\nport = "eighty"\n', "web.port", "integer"),
        ("\n[web]\nport = 70000\n", "web.port", "less than or equal"),
        ("\n[sla]\nfirst_response_minutes = 0\n", "sla.first_response_minutes", "greater"),
        ('\n[responder.templates]\ndefault = "Hi {handel}"\n', "responder", "placeholder"),
        ('\n[responder.templates]\ndefault = "Hi {handle}, send us your password"\n',
         "responder", "password"),
        ('\n[model]\nlabel_map = {LABEL_0 = "angry"}\n', "model.label_map.LABEL_0", "'negative'"),
    ],
)
def test_bad_values_name_file_key_and_problem(tmp_path, extra, key, problem):
    path = write(tmp_path, base(tmp_path) + extra)
    with pytest.raises(ConfigError) as info:
        load(path, env={})
    assert info.value.file == str(path)
    assert info.value.key == key
    assert problem in info.value.problem


def test_source_must_name_a_known_brand(tmp_path):
    text = base(tmp_path).replace('brand = "Lumora"', 'brand = "Lumoro"')
    with pytest.raises(ConfigError, match="unknown brand 'Lumoro'"):
        load(write(tmp_path, text), env={})


def test_unknown_platform_is_refused(tmp_path):
    text = base(tmp_path).replace('platform = "replay"', 'platform = "myspace"')
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, text), env={})
    assert info.value.key.startswith("sources.0")


def test_missing_replay_file(tmp_path):
    text = base(tmp_path).replace(str(tmp_path / "m.jsonl"), str(tmp_path / "nope.jsonl"))
    with pytest.raises(ConfigError, match=r"sources\.0\.path: no such file"):
        load(write(tmp_path, text), env={})


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "[app\n"), env={})
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "absent.toml", env={})


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, base(tmp_path)), env={"MENTIONDESK_WEB_PORT": "x"})
    assert info.value.file == "environment MENTIONDESK_WEB_PORT"


def test_triage_and_responder_settings_come_from_the_environment_too(tmp_path):
    path = write(tmp_path, base(tmp_path))
    settings = load(path, env={"MENTIONDESK_TRIAGE_NEEDS_REPLY_THRESHOLD": "0.3",
                               "MENTIONDESK_RESPONDER_KB_THRESHOLD": "0.6",
                               "MENTIONDESK_RESPONDER_AI_ENABLED": "false"})
    assert settings.triage.needs_reply_threshold == 0.3
    assert settings.responder.kb_threshold == 0.6 and not settings.responder.ai.enabled


@pytest.mark.parametrize("variable", ["MENTIONDESK_TRIAG_NEEDS_REPLY_THRESHOLD",
                                      "MENTIONDESK_BRANDS_NAME", "MENTIONDESK_PORT"])
def test_a_variable_that_sets_nothing_stops_start_up_instead_of_being_ignored(tmp_path,
                                                                             variable):
    """A misspelt section, or one the environment cannot set, would otherwise leave the
    operator believing a setting changed. Secrets and the process's own variables pass."""
    path = write(tmp_path, base(tmp_path))
    with pytest.raises(ConfigError, match="not a setting or secret") as info:
        load(path, env={variable: "1"})
    assert info.value.file == f"environment {variable}"
    assert load(path, env={"MENTIONDESK_CONFIG": str(path), "MENTIONDESK_SESSION_SECRET": "x",
                           "MENTIONDESK_CLOCK_OFFSET_DAYS": "1", "OTHER_TOOL_PORT": "1"})


def test_cli_bad_config_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, base(tmp_path) + "\n[web]\nprot = 1\n")
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(path), "report"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mentiondesk: bad configuration: {path}: web.prot: unknown setting "
        "(see docs/settings.md)"
    ]
    assert "Traceback" not in result.stderr


def test_secrets_come_from_environment_and_hide_in_repr(monkeypatch):
    monkeypatch.setenv("MENTIONDESK_X_BEARER_TOKEN", "s3cr3t-token")
    value = secret("MENTIONDESK_X_BEARER_TOKEN")
    assert value is not None and value.get_secret_value() == "s3cr3t-token"
    assert "s3cr3t" not in repr(value) and "s3cr3t" not in str(value)
    monkeypatch.delenv("MENTIONDESK_X_BEARER_TOKEN")
    assert secret("MENTIONDESK_X_BEARER_TOKEN") is None


def _models() -> list[type[BaseModel]]:
    """config.settings' models and every platform's source settings model."""
    own = [obj for obj in vars(settings_module).values()
           if isinstance(obj, type) and issubclass(obj, BaseModel)
           and obj.__module__ == settings_module.__name__]
    return own + [p.settings for p in PLATFORMS.values()]


def test_every_setting_and_secret_is_documented():
    docs = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", docs, flags=re.MULTILINE))
    sections = set(re.findall(r"^## (\w+)", docs, flags=re.MULTILINE))
    missing = [f"{model.__name__}.{field}" for model in _models()
               if model is not settings_module.Settings
               for field in model.model_fields if field not in documented]
    assert missing == []
    assert set(settings_module.Settings.model_fields) <= sections
    assert set(SECRETS) <= documented


def test_ai_settings_come_from_nested_environment_variables(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[[brands]]\nname = "Acme"\nhandles = ["acme"]\n', encoding="utf-8")
    settings = load(config, env={"MENTIONDESK_RESPONDER_AI_ENABLED": "true",
                                 "MENTIONDESK_RESPONDER_AI_MODEL": "llama3.1:8b",
                                 "MENTIONDESK_RESPONDER_AI_TIMEOUT_SECONDS": "45"})
    ai = settings.responder.ai
    assert (ai.enabled, ai.model, ai.timeout_seconds) == (True, "llama3.1:8b", 45)
    assert load(config, env={}).responder.ai.enabled is False  # off by default
    with pytest.raises(ConfigError) as error:  # on without a model: names the variable
        load(config, env={"MENTIONDESK_RESPONDER_AI_ENABLED": "true"})
    assert "MENTIONDESK_RESPONDER_AI_ENABLED" in str(error.value)
    assert "model" in str(error.value)


def test_log_level_in_any_case(tmp_path):
    """`MENTIONDESK_APP_LOG_LEVEL=debug` stopped start-up ("Input should be 'DEBUG', ...");
    a level is a level in any case. A word that is no level still stops it."""
    path = write(tmp_path, base(tmp_path))
    assert load(path, env={"MENTIONDESK_APP_LOG_LEVEL": "debug"}).app.log_level == "DEBUG"
    assert load(path, env={"MENTIONDESK_APP_LOG_LEVEL": "Warning"}).app.log_level == "WARNING"
    with pytest.raises(ConfigError, match=r"app\.log_level"):
        load(path, env={"MENTIONDESK_APP_LOG_LEVEL": "loud"})


def test_a_whole_file_problem_names_no_key(tmp_path):
    """A missing file or broken TOML has no key: the line read "absent.toml: -: file not
    found", a dash where a key goes."""
    with pytest.raises(ConfigError) as missing:
        load(tmp_path / "absent.toml", env={})
    assert str(missing.value) == f"{tmp_path / 'absent.toml'}: file not found"
    with pytest.raises(ConfigError) as broken:
        load(write(tmp_path, "[app\n"), env={})
    assert str(broken.value).startswith(f"{tmp_path / 'c.toml'}: not valid TOML: ")
