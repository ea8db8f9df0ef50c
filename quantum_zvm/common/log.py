"""One logging set-up for every quantum-zvm command, with secrets masked.

``--debug``, ``--log-file`` and ``--use-syslog`` are registered on the
command line of every command (:data:`quantum_zvm.common.config.LOG_CLI_OPTS`).
A filter on the root handlers masks passwords, tokens and credentials in URLs
in every record, so a secret that slips into a message (an exception text, a
request dump) never reaches a log; the values of the configuration's secret
options are masked literally (:func:`quantum_zvm.common.config.configured_secrets`).
"""
from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable

from oslo_config import cfg

from quantum_zvm.common import config

MASK = "***"

_KEY = r"(?:password|passwd|pass|pw|userPW|secret|token|auth[_-]?token|x-auth-token|" \
       r"rabbit_password|zvm_xcat_password|admin_password)"
_PATTERNS = [
    # key=value in query strings, ini lines and bodies: password=xyz
    (re.compile(rf"(?i)(\b{_KEY}\s*[=:]\s*)(?!\*\*\*)([^\s&,;'\"}}]+)"), rf"\1{MASK}"),
    # JSON / Python reprs: "password": "xyz" or 'password': 'xyz'
    (re.compile(rf"(?i)(['\"]{_KEY}['\"]\s*:\s*['\"])([^'\"]*)(['\"])"), rf"\1{MASK}\3"),
    # credentials in URLs: scheme://user:secret@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)(@)"), rf"\1{MASK}\3"),
]


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with passwords, tokens and URL credentials replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretMaskingFilter(logging.Filter):
    """Formats each record's message early and masks the secrets in it."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must still be logged
            message = str(record.msg)
        record.msg = mask_secrets(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.secrets)
        return True


def setup(conf: cfg.ConfigOpts, name: str) -> logging.Logger:
    """Configure the root logger from ``conf`` and return the command's logger."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = _handler(conf, name)
    handler.addFilter(SecretMaskingFilter(config.configured_secrets(conf)))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ("amqp", "kombu", "urllib3", "alembic.runtime.migration",
                  "alembic.runtime.plugins", "stevedore"):
        logging.getLogger(noisy).setLevel(logging.INFO if conf.debug else logging.WARNING)
    return logging.getLogger(name)


def _handler(conf: cfg.ConfigOpts, name: str) -> logging.Handler:
    """Where the log goes (syslog, a file or stderr); exits 2 when it cannot be opened."""
    handler: logging.Handler
    if conf.use_syslog:
        try:
            handler = logging.handlers.SysLogHandler(address="/dev/log")
        except OSError as exc:
            print(f"{name}: --use-syslog: cannot reach syslog at /dev/log: {exc.strerror}",
                  file=sys.stderr)
            sys.exit(2)
        handler.setFormatter(logging.Formatter(f"{name}[%(process)d]: %(levelname)s "
                                               "%(name)s %(message)s"))
    elif conf.log_file:
        try:
            handler = logging.handlers.WatchedFileHandler(conf.log_file)
        except OSError as exc:
            print(f"{name}: --log-file {conf.log_file}: {exc.strerror}", file=sys.stderr)
            sys.exit(2)
        handler.setFormatter(_formatter())
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_formatter())
    return handler


def fatal(conf: cfg.ConfigOpts, logger: logging.Logger, prog: str, message: str) -> None:
    """An error that ends the command, said once where the operator looks: printed to
    stderr as ``prog: message``, and logged too when the log goes to a file or syslog."""
    print(f"{prog}: {message}", file=sys.stderr)
    if conf.use_syslog or conf.log_file:
        logger.error("%s", message)


def _formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
