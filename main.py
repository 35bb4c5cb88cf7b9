#!/usr/bin/env python
"""Run QENEX on one machine, as the seed's ``python main.py`` does: web server, Celery worker and beat, metrics.

    python main.py [--config config.json] [--daemon] [--pid-file FILE] [--log-file FILE] [--processes web,worker,beat]
    python main.py stop     [--pid-file FILE]
    python main.py status   [--pid-file FILE]

A thin adapter over apps.core.instance (which says what runs and how it stops); ``--config`` means what it means
for ``manage.py``. Exit codes: 0 ok, 1 failed (or, for status, dead with a stale pid file), 2 bad configuration or
usage, 3 (status) not running.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description="Run, stop or query a QENEX instance.")
    parser.add_argument("action", nargs="?", choices=("start", "stop", "status"), default="start")
    parser.add_argument("--config", metavar="FILE", help="the seed's config.json shape (also QENEX_CONFIG)")
    parser.add_argument("--daemon", action="store_true", help="detach, with a pid file and a log file")
    parser.add_argument("--pid-file", type=Path, help="default: $QENEX_VAR_DIR/qenex.pid")
    parser.add_argument("--log-file", type=Path, help="with --daemon; default: $QENEX_VAR_DIR/qenex.log")
    parser.add_argument("--processes", default="web,worker,beat",
                        help="which to run, comma-separated (worker and beat only with a broker; default: all)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    # Absolute, because the daemon leaves the working directory.
    if args.config:
        os.environ["QENEX_CONFIG"] = str(Path(args.config).resolve())
    if os.environ.get("QENEX_VAR_DIR"):
        os.environ["QENEX_VAR_DIR"] = str(Path(os.environ["QENEX_VAR_DIR"]).resolve())
    from apps.core import instance
    from qenex import config as qenex_config

    pid_file = (args.pid_file or instance.default_pid_file()).resolve()
    if args.action == "status":
        code, message = instance.status(pid_file)
    elif args.action == "stop":
        code, message = instance.stop(pid_file)
    else:
        names = [name.strip() for name in args.processes.split(",") if name.strip()]
        unknown = set(names) - set(instance.PROCESS_NAMES)
        if unknown or not names:
            sys.stderr.write(f"error: --processes takes {', '.join(instance.PROCESS_NAMES)}\n")
            return 2
        try:
            qenex_config.load()  # a bad config stops here, before detaching, with the key named
        except qenex_config.ConfigError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
        log_file = (args.log_file or instance.default_log_file()).resolve()
        return instance.run(names=names, daemon=args.daemon, pid_file=pid_file, log_file=log_file)
    sys.stdout.write(f"{message}\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
