"""The reproduction command, and every committed results file."""
import json
import subprocess
from pathlib import Path

import pytest

from lecturelib import reproduce
from lecturelib.experiments import batch_size as bs

RESULTS = Path(__file__).resolve().parents[2] / "results"
FILES = sorted(RESULTS.glob("*.json")) if RESULTS.is_dir() else []


def test_slugs_are_unique_file_names():
    labels = [s.label for s in bs.study_runs(bs.scale("full"))]
    slugs = [reproduce.slug(l) for l in labels]
    assert len(set(slugs)) == len(slugs) == 13
    assert reproduce.slug("1024 ×30 → lr ×10 ×30") == "1024-x30-to-lr-x10-x30"


def _finished(label, preset):
    return {"run": label, "preset": preset, "summary": dict.fromkeys(reproduce.SUMMARY_KEYS, 0.0),
            "history": {}, "provenance": {}}


def test_writes_atomically_and_resumes(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(reproduce, "run_one", lambda spec, s, p, out, ck: calls.append(spec.label) or
                        reproduce.write_atomically(out / f"{reproduce.slug(spec.label)}.json", _finished(spec.label, p)))
    reproduce.main(["--preset", "ci", "--out", str(tmp_path), "--only", "bs-64-lr-0.1", "bs-64-lr-0.01"])
    assert calls == ["BS 64, lr 0.1", "BS 64, lr 0.01"]        # in the order asked for
    assert not list(tmp_path.glob("*.tmp"))
    reproduce.main(["--preset", "ci", "--out", str(tmp_path), "--only", "bs-64-lr-0.01"])
    assert calls == ["BS 64, lr 0.1", "BS 64, lr 0.01"]       # finished runs are not redone
    assert "done already" in capsys.readouterr().out


def test_unknown_run_is_an_error(tmp_path):
    with pytest.raises(SystemExit):
        reproduce.main(["--out", str(tmp_path), "--only", "bs-3-lr-9"])


def _in_history(sha: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=RESULTS.parent,
                          capture_output=True).returncode == 0


def _has_history() -> bool:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=RESULTS.parent, capture_output=True).returncode == 0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_results_file_names_a_commit_of_this_repository(path):
    if not _has_history():
        pytest.skip("this checkout has no git history to look the commit up in")
    provenance = json.loads(path.read_text())["provenance"]
    assert _in_history(provenance["git_commit"]), f"{path.name}: {provenance['git_commit']} is not in this history"
    if "git_dirty" in provenance:           # files written since the flag was added record it
        assert isinstance(provenance["git_dirty"], bool)


@pytest.mark.parametrize("path", [p for p in FILES if p.stem == reproduce.PROTOCOL_SLUG], ids=lambda p: p.name)
def test_gradient_protocol_file_is_well_formed(path):
    from lecturelib import gradient_protocol as gp

    payload = json.loads(path.read_text())
    assert payload["preset"] == "full" and reproduce.why_not_done(path, gp.RUN, "full") is None
    result = gp.ProtocolResult.from_dict(payload)
    sizes = payload["config"]["batch_sizes"]
    for regime in gp.REGIMES:
        assert sorted(result.norms[regime]) == sizes
        assert all(len(v) == payload["config"]["trials"] for v in result.norms[regime].values())
        for b, (mean, std) in result.mean_std()[regime].items():
            assert payload["summary"][regime][str(b)] == {"mean": mean, "std": std}


@pytest.mark.parametrize("path", [p for p in FILES if p.stem != reproduce.PROTOCOL_SLUG], ids=lambda p: p.name)
def test_results_file_is_well_formed_with_provenance(path):
    payload = json.loads(path.read_text())
    assert payload["preset"] == "full"
    assert payload["run"] in {s.label for s in bs.study_runs(bs.scale("full"))}
    assert path.stem == reproduce.slug(payload["run"])
    for key in ("command", "git_commit", "lecturelib", "torch", "device", "seed", "date", "wall_seconds"):
        assert payload["provenance"][key] not in (None, ""), key
    summary = payload["summary"]
    assert 0 <= summary["test_acc"] <= 1 and summary["dist_w"] > 0 and len(summary["cos_layers"]) == 3
    history = payload["history"]
    assert len(history["epoch"]) == history["epoch"][-1] + 1
    assert history["values"]["test_acc"][-1] == summary["test_acc"]


def _summaries(*labels):
    out = []
    for label in labels:
        path = RESULTS / f"{reproduce.slug(label)}.json"
        if not path.exists():
            pytest.skip(f"{path.name} is not in results/ yet")
        out.append(json.loads(path.read_text())["summary"])
    return out


def test_results_bs1_bs7_small_batch_more_accurate_and_farther():
    a64, a1024 = _summaries("BS 64, lr 0.01", "BS 1024, lr 0.01")
    assert a64["test_acc"] > a1024["test_acc"] and a64["dist_w"] > a1024["dist_w"]


def test_results_bs2_higher_lr_recovers():
    a64, fast = _summaries("BS 64, lr 0.01", "BS 1024, lr 0.1")
    assert abs(a64["test_acc"] - fast["test_acc"]) < 0.02


def test_results_bs10_bs11_adam_far_sgd_near():
    sgd, adam = _summaries("BS 64, lr 0.01", "adam: BS 64, lr 0.01")
    assert adam["dist_w"] > 10 * sgd["dist_w"]
    assert min(sgd["cos_layers"]) > 0.9 and max(adam["cos_layers"]) < min(sgd["cos_layers"])
