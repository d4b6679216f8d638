"""Production refuses to start with a missing or weak secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _check({"DJANGO_SETTINGS_MODULE": "masthead.settings.production", "MASTHEAD_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = _check(
        {
            "DJANGO_SETTINGS_MODULE": "masthead.settings.production",
            "SECRET_KEY": "short",
            "MASTHEAD_VAR_DIR": str(tmp_path),
        }
    )
    assert result.returncode != 0
    assert "at least 40 characters" in result.stderr


def test_production_starts_with_a_strong_secret_key(tmp_path):
    result = _check(
        {
            "DJANGO_SETTINGS_MODULE": "masthead.settings.production",
            "SECRET_KEY": "k" * 20 + "Zq8#" * 10,
            "MASTHEAD_VAR_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stderr
