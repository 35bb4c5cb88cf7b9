"""Container health check: exit 0 when this container's /health answers 200, 1 otherwise.

Used by the Dockerfile's HEALTHCHECK. Asks the local server over plain HTTP with Host 127.0.0.1, exactly as
Docker does; the app answers /health whatever the Host header and scheme (apps.core.middleware.ProbeMiddleware).
Only the standard library, so it starts fast and needs no Django settings.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("QENEX_API_PORT", "8080")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
