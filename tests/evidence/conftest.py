from __future__ import annotations

import pytest

try:
    from dropship_core.serve import ServerThread
except ImportError:  # before the sandboxes moved out of dropship_core
    from dropship_core.serve import ServerThread
from dropship_sandbox.naver_search import NaverSearchSandbox


@pytest.fixture
def naver():
    sb = NaverSearchSandbox(per_second=0)
    with ServerThread(sb.app) as srv:
        yield sb, srv
