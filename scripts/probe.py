"""Print URL if the service it names answers on its host/port within a second, else print nothing."""

import socket
import sys
from urllib.parse import urlparse


def main() -> None:
    kind, url = sys.argv[1], sys.argv[2]
    parsed = urlparse(url)
    port = parsed.port or {"postgres": 5432, "redis": 6379}[kind]
    try:
        with socket.create_connection((parsed.hostname, port), timeout=1):
            print(url)
    except OSError:
        pass


if __name__ == "__main__":
    main()
