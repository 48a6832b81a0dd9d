"""Child: the webhook receiver on a free port; prints `READY <url>` and serves until killed."""

import sys
import time

from dropship_core.serve import ServerThread
from dropship_core.webhook import create_app


def main(db_url: str, secret: str, supplier: str) -> None:
    srv = ServerThread(create_app(db_url, secret, suppliers={supplier})).start()
    print(f"READY {srv.url}", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(*sys.argv[1:])
