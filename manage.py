#!/usr/bin/env python
"""Django's command-line utility for QENEX. Accepts ``--config FILE`` (the seed's config.json shape)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qenex.settings")
    from qenex.config import ConfigError, extract_config_argument

    try:
        argv = extract_config_argument(sys.argv)
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
