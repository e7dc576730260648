"""verify-batch --jobs / --scheduler: the same verdicts, spread out."""

from __future__ import annotations

import json


def test_verify_batch_jobs_gives_same_document_when_two_processes(invoke, workdir):
    files = ["meets.proof.json", "bob.proof.json", "alice.pinned.proof.json"]
    alone = invoke("verify-batch", "--params", "params.json", *files, "--json")
    spread = invoke("verify-batch", "--params", "params.json", *files, "--json", "--jobs", "2")
    assert alone.exit_code == spread.exit_code == 0, spread.output
    keep = ("total", "counts", "statements", "files")
    assert {k: json.loads(spread.stdout)[k] for k in keep} == {k: json.loads(alone.stdout)[k] for k in keep}


def test_verify_batch_exits_2_when_jobs_and_scheduler_both_given(invoke, workdir):
    result = invoke("verify-batch", "--params", "params.json", "bob.proof.json", "--jobs", "2",
                    "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "choose --jobs or --scheduler, not both" in result.stderr


def test_verify_batch_exits_2_when_scheduler_unreachable(invoke, workdir, monkeypatch):
    monkeypatch.setattr("zkmargin.cli.options.SCHEDULER_TIMEOUT", "1s")
    result = invoke("verify-batch", "--params", "params.json", "bob.proof.json", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
