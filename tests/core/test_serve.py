"""``manage.py serve`` binds where the configuration says, and refuses a half TLS configuration."""

import pytest
from django.core.management import CommandError, call_command

from apps.core.management.commands.serve import daphne_arguments


def test_plain_http_uses_host_and_port():
    assert daphne_arguments({"host": "127.0.0.1", "port": 8080}) == [
        "-b",
        "127.0.0.1",
        "-p",
        "8080",
        "qenex.asgi:application",
    ]


def test_tls_endpoint_when_certificate_and_key_are_set(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("c")
    key.write_text("k")
    args = daphne_arguments({"host": "0.0.0.0", "port": 8443, "ssl_cert": str(cert), "ssl_key": str(key)})
    assert args == ["-e", f"ssl:8443:interface=0.0.0.0:privateKey={key}:certKey={cert}", "qenex.asgi:application"]


@pytest.mark.parametrize(
    ("cert", "key", "message"),
    [
        ("/x/cert.pem", None, "must be set together"),
        ("/nonexistent/cert.pem", "/nonexistent/key.pem", "not a readable"),
    ],
)
def test_bad_tls_configuration_is_refused(cert, key, message):
    with pytest.raises(CommandError, match=message):
        daphne_arguments({"host": "127.0.0.1", "port": 8443, "ssl_cert": cert, "ssl_key": key})


def test_dry_run_prints_the_configured_address(settings, capsys):
    settings.QENEX = {**settings.QENEX, "api": {**settings.QENEX["api"], "host": "127.0.0.1", "port": 9123}}
    call_command("serve", "--dry-run")
    assert capsys.readouterr().out.strip() == "-b 127.0.0.1 -p 9123 qenex.asgi:application"
