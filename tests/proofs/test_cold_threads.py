"""Threads that prove and verify at once in a process that has not touched a curve yet.

The test starts a fresh interpreter: this test process has long since chosen its backend
and derived its generators, which would hide a race of first use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.proofs.conftest import ROOT

THREADS = 4

COLD_PROCESS = '''
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import zkmargin as zm
from zkmargin.hazmat import groups
from tests.proofs.conftest import portfolio, small_params


class SlowDisk:
    """Finds nothing, but makes the curve library take as long to import as from a cold disk,
    so every thread reaches the backend's first use while the first thread imports it."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "py_arkworks_bls12381":
            time.sleep(0.5)
        return None


sys.meta_path.insert(0, SlowDisk)
threads = int(sys.argv[1])
params = small_params()
books = [portfolio(10_000 * (n + 1), account=f"trader{n}", FUT=1) for n in range(threads)]
prove, verify = zm.prove, zm.verify  # their modules imported here, so the threads meet at the curve
cold = groups._current is None and not groups._instances
start = threading.Barrier(threads)


def first_proof(book):
    start.wait()
    proof = prove(book, params)
    return proof, verify(proof, params).account


with ThreadPoolExecutor(threads) as pool:
    done = list(pool.map(first_proof, books))
proofs = [proof for proof, _ in done]
print(json.dumps({
    "cold": cold,
    "in_threads": [account for _, account in done],
    "after": verify(proofs[-1], params).account,
    "batch_ok": zm.verify_batch(proofs, params).ok,
}))
'''


def test_prove_and_verify_succeed_in_every_thread_when_threads_start_cold_together(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "ZKMARGIN_BACKEND"}
    env["ZKMARGIN_CACHE_DIR"] = str(tmp_path)  # no generators on disk either
    done = subprocess.run(
        [sys.executable, "-c", COLD_PROCESS, str(THREADS)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "cold": True,
        "in_threads": [f"trader{n}" for n in range(THREADS)],
        "after": f"trader{THREADS - 1}",
        "batch_ok": True,
    }
