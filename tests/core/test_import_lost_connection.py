"""`suppliers import-excel` when the connection to the store drops mid-import: one line on stderr
with what is known to be written, no traceback, nothing half-visible, and a clean re-run."""

import argparse
import socket
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from openpyxl import Workbook

from dropship_app.import_excel import cmd_import_excel


class CuttingProxy:
    """A TCP proxy to Postgres that drops the first connection that sends more than `limit` bytes."""

    def __init__(self, upstream: tuple[str, int] | str, limit: int):
        # (host, port) over TCP, or the path of a Unix socket (the embedded Postgres listens on one)
        self.upstream, self.limit, self.cut = upstream, limit, False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if isinstance(self.upstream, str):
                server = socket.socket(socket.AF_UNIX)
                server.connect(self.upstream)
            else:
                server = socket.create_connection(self.upstream)
            sent = [0]
            threading.Thread(target=self._pump, args=(client, server, sent, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, sent, False), daemon=True).start()

    def _pump(self, src, dst, sent, counting):
        try:
            while data := src.recv(65536):
                if counting:
                    sent[0] += len(data)
                    if sent[0] > self.limit and not self.cut:
                        self.cut = True
                        raise OSError("cut")
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.sock.close()


def test_lost_connection_is_one_line_with_the_count(db_url, tmp_path, monkeypatch, capsys, store):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["상품코드", "상품명", "공급가", "재고", "상세설명"])
    for i in range(3000):
        ws.append([f"L{i}", f"상품 {i}", 1000 + i, 5, "설명 " * 40])
    wb.save(tmp_path / "big.xlsx")
    parts = urlsplit(db_url)
    query = parse_qsl(parts.query)
    if parts.hostname:
        upstream: tuple[str, int] | str = (parts.hostname, parts.port or 5432)
    else:   # postgresql://user@/db?host=/socket/dir: the embedded default
        sock_dir = dict(query)["host"]
        upstream = f"{sock_dir}/.s.PGSQL.{parts.port or dict(query).get('port', 5432)}"
        query = [(k, v) for k, v in query if k not in ("host", "port")]
    proxy = CuttingProxy(upstream, limit=300_000)
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    netloc = f"{userinfo}127.0.0.1:{proxy.port}"
    monkeypatch.setenv("DATABASE_URL", urlunsplit(parts._replace(netloc=netloc, query=urlencode(query))))
    args = argparse.Namespace(supplier="lost", file=str(tmp_path / "big.xlsx"), complete=False, json=False,
                              new_supplier=True)
    try:
        assert cmd_import_excel(args) == 3
    finally:
        proxy.close()
    err = capsys.readouterr().err.strip()
    assert proxy.cut
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("error: lost the connection to the store at ")
    assert "0 of 3000 products of this file are in the store" in err
    assert "re-running the same command is safe" in err
    with store.connect() as c:
        assert c.execute("SELECT count(*) FROM source_data WHERE supplier_key = 'lost'").fetchone()[0] == 0
    # the re-run, with the connection intact, stores the whole file
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cmd_import_excel(args) == 0
    assert "new 3000" in capsys.readouterr().out
