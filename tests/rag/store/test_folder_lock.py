"""One process per embedded store folder: a second app (or the CLI) on the same QDRANT_PATH stops at start with an
error naming the process that holds it, and the folder is free again once that process is gone, even by SIGKILL."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from rag.errors import StoreError
from tests.support.paths import ROOT
from tests.support.servers import free_port

HOLDER = textwrap.dedent("""
    import sys, time
    from rag.store.qdrant_store import Store
    store = Store(path=sys.argv[1])
    print("HOLDING", flush=True)
    time.sleep(600)
""")


@pytest.fixture
def holder(tmp_path):
    folder = tmp_path / "qdrant"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "HOLDING"
    yield folder, proc
    proc.kill()
    proc.wait(timeout=30)


def test_a_second_process_is_told_who_holds_the_store_and_may_open_it_once_that_one_dies(holder):
    from rag.store.qdrant_store import Store

    folder, proc = holder
    with pytest.raises(StoreError, match=rf"in use by another process \(pid {proc.pid}, "):
        Store(path=str(folder))
    app = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "QDRANT_PATH": str(folder), "QDRANT_URL": "",
                              "LLM_BASE_URL": "http://127.0.0.1:9/v1", "LLM_MODEL": "x", "PORT": str(free_port())})
    assert app.returncode == 1 and f"Quadrate Chat cannot start: the embedded store {folder}" in app.stderr
    assert f"pid {proc.pid}" in app.stderr and "Traceback" not in app.stderr
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store(path=str(folder))          # the kernel dropped the dead holder's lock
    store.close()
    Store(path=str(folder)).close()          # and close() releases it in this process
