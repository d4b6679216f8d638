import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("ensure_editor", stdout=out)
    return out.getvalue()


def test_the_demo_editor_is_created_once_and_its_credentials_printed_each_time(tmp_path):
    with override_settings(DEBUG=True, VAR_DIR=tmp_path):
        first = _run()
        second = _run()

    password = (tmp_path / "editor-credentials.txt").read_text().split()[1]
    assert f"password: {password}" in first
    assert first == second
    editor = get_user_model().objects.get(email="editor@meridian.example")
    assert editor.is_superuser
    assert editor.check_password(password)


def test_the_demo_editor_command_refuses_to_run_outside_development():
    with pytest.raises(CommandError, match="development only"):
        _run()
    assert not get_user_model().objects.exists()
