"""The reproduction command, and every committed results file: it parses, has the schema, was made at
`full` by a commit of this repository, and its History is complete with the summary of its last entry."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lecturelib import gradient_protocol as gp
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


PROVENANCE_KEYS = ("command", "git_commit", "lecturelib", "torch", "python", "device", "seed", "date",
                   "wall_seconds")
STUDY = {s.label: s for s in bs.study_runs(bs.scale("full"))}
RUN_FILES = [p for p in FILES if p.stem != reproduce.PROTOCOL_SLUG]


def _load(path):
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        pytest.fail(f"{path.name} does not parse: {err}")


def _check_provenance(provenance):
    for key in PROVENANCE_KEYS:
        assert provenance.get(key) not in (None, ""), f"provenance lacks {key}"
    assert re.fullmatch(r"[0-9a-f]{40}", provenance["git_commit"]), provenance["git_commit"]
    if "git_dirty" in provenance:            # files made since the flag exists (2c7800b) record it
        assert isinstance(provenance["git_dirty"], bool), provenance["git_dirty"]
    assert provenance["wall_seconds"] > 0 and provenance["seed"] == reproduce.SEED


def _check_run(payload):
    """A study run's file: the run it names, a complete History and the summary of its last entry."""
    assert set(payload) >= {"run", "preset", "summary", "history", "provenance"}
    spec = STUDY[payload["run"]]
    history, n = payload["history"], spec.epochs + 1
    assert history["label"] == payload["run"]
    assert history["epoch"] == list(range(n)), "the History must hold every epoch 0..N"
    for key in ("steps", "samples", "seconds", "batch_size", "lr"):
        assert len(history[key]) == n, key
    for key, values in history["values"].items():
        assert len(values) == n, key
    # Each epoch ran at the batch size and learning rate of the run's schedule.
    plan = [phase for phase in spec.schedule for _ in range(phase.epochs)]
    assert history["batch_size"][1:] == [p.batch_size for p in plan]
    assert history["lr"][1:] == [p.lr for p in plan]
    assert history["samples"][-1] == spec.epochs * history["config"]["train_samples"]
    assert "diverged_at_epoch" not in history["config"]
    summary = payload["summary"]
    assert summary == {k: history["values"][k][-1] for k in reproduce.SUMMARY_KEYS}
    assert 0 <= summary["test_acc"] <= 1 and summary["dist_w"] > 0 and len(summary["cos_layers"]) == 3
    _check_provenance(payload["provenance"])


def _check_protocol(payload):
    """The gradient protocol's file: norms per regime and batch size, a summary computed from them."""
    assert set(payload) >= {"run", "preset", "config", "regimes", "summary", "provenance"}
    assert payload["run"] == gp.RUN
    config = payload["config"]
    assert set(config) >= {"hidden", "lr", "samples", "trials", "batch_sizes", "regimes", "train_batch_size",
                           "layer"}
    sizes = [str(b) for b in config["batch_sizes"]]
    assert all(config["samples"] % b == 0 for b in config["batch_sizes"])
    assert set(payload["regimes"]) == set(payload["summary"]) == set(config["regimes"]) == set(gp.REGIMES)
    for regime, entry in payload["regimes"].items():
        assert entry["epochs"] == config["regimes"][regime]
        assert list(entry["norms"]) == sizes and list(payload["summary"][regime]) == sizes
        for b, norms in entry["norms"].items():
            norms = np.asarray(norms)
            assert norms.shape == (config["trials"],) and np.all(np.isfinite(norms)) and np.all(norms > 0)
            stats = payload["summary"][regime][b]
            assert stats["mean"] == pytest.approx(norms.mean(), rel=1e-12)
            assert stats["std"] == pytest.approx(norms.std(), rel=1e-12)
    _check_provenance(payload["provenance"])


@pytest.mark.parametrize("path", RUN_FILES, ids=lambda p: p.name)
def test_results_file_of_a_run_is_complete(path):
    payload = _load(path)
    assert payload["preset"] == "full"
    assert payload["run"] in STUDY and path.stem == reproduce.slug(payload["run"])
    _check_run(payload)


def test_results_file_of_the_gradient_protocol_is_complete():
    path = RESULTS / f"{reproduce.PROTOCOL_SLUG}.json"
    if not path.exists():
        pytest.skip(f"{path.name} is not in results/ yet "
                    "(python -m lecturelib.reproduce --only gradient-protocol makes it)")
    payload = _load(path)
    assert payload["preset"] == "full" and reproduce.why_not_done(path, gp.RUN, "full") is None
    _check_protocol(payload)
    result = gp.load(path)               # what the chapter reads
    assert {r: {str(b): {"mean": m, "std": s} for b, (m, s) in per_b.items()}
            for r, per_b in result.mean_std().items()} == payload["summary"]
    full = gp.scale("full")
    config = payload["config"]
    assert (config["hidden"], config["trials"], config["samples"], config["batch_sizes"], config["lr"],
            config["regimes"], config["train_batch_size"]) == (
        [1024, 1024], full.trials, full.samples, list(full.batch_sizes), 0.01,
        {"early": full.early_epochs, "late": full.late_epochs}, 1024)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_results_file_names_a_commit_of_this_repository(path):
    sha = _load(path)["provenance"]["git_commit"]
    known = reproduce.in_history(sha)
    if known is None:
        pytest.skip("this checkout has no git history (or a shallow one without that commit): "
                    f"cannot check that {sha[:8]} exists")
    assert known, f"{path.name} names commit {sha}, which is not in this repository's history"


def test_the_file_checks_can_fail():
    """The checks above on made-up files: a good one passes, each kind of damage fails."""
    rng = np.random.default_rng(0)
    sizes = gp.scale("ci").batch_sizes
    result = gp.ProtocolResult("ci", {"hidden": [8], "lr": 0.01, "samples": 256, "trials": 4,
                                      "batch_sizes": list(sizes), "regimes": {"early": 1, "late": 4},
                                      "train_batch_size": 1024, "layer": "last"},
                               {r: {b: rng.uniform(1, 2, 4) for b in sizes} for r in gp.REGIMES},
                               {**dict.fromkeys(PROVENANCE_KEYS, "x"), "git_commit": "a" * 40, "seed": 0,
                                "wall_seconds": 1.0, "git_dirty": False})
    good = result.to_dict()
    _check_protocol(json.loads(json.dumps(good)))
    for damage in (lambda d: d["regimes"]["late"]["norms"].pop("4"),
                   lambda d: d["regimes"]["early"]["norms"]["1"].pop(),
                   lambda d: d["summary"]["early"]["2"].update(mean=0.0),
                   lambda d: d["provenance"].update(git_dirty="no"),
                   lambda d: d["provenance"].pop("device")):
        bad = json.loads(json.dumps(good))
        damage(bad)
        with pytest.raises(AssertionError):
            _check_protocol(bad)
    if not RUN_FILES:
        pytest.skip("no run's results file to damage")
    run = _load(RUN_FILES[0])
    _check_run(run)
    for damage in (lambda d: [d["history"][k].pop() for k in ("epoch", "steps", "samples", "seconds",
                                                              "batch_size", "lr")],
                   lambda d: d["summary"].update(test_acc=d["summary"]["test_acc"] + 1e-9),
                   lambda d: d["history"]["batch_size"].__setitem__(1, 7),
                   lambda d: d["provenance"].update(git_commit="unknown")):
        bad = json.loads(json.dumps(run))
        damage(bad)
        with pytest.raises(AssertionError):
            _check_run(bad)


@pytest.mark.parametrize("content, reason", [
    (None, "no results file"),
    ("{ torn", "does not parse"),
    ('{"run": "BS 64, lr 0.1", "preset": "ci"}', "holds another run ('BS 64, lr 0.1')"),
    ('{"run": "BS 64, lr 0.01", "preset": "full"}', "was made at preset 'full', not 'ci'"),
    ('{"run": "BS 64, lr 0.01", "preset": "ci", "provenance": {}}', "lacks"),
])
def test_why_a_run_is_not_done(tmp_path, content, reason):
    path = tmp_path / "bs-64-lr-0.01.json"
    if content is not None:
        path.write_text(content)
    assert reason in reproduce.why_not_done(path, "BS 64, lr 0.01", "ci")


@pytest.mark.parametrize("content, reason", [
    ("", "does not parse"),
    ('{"run": "BS 64, lr 0.01", "preset": "ci"}', "holds another run ('BS 64, lr 0.01')"),
    ('{"run": "gradient protocol", "preset": "quick"}', "was made at preset 'quick', not 'ci'"),
    ('{"run": "gradient protocol", "preset": "ci", "regimes": {"early": {}}, "summary": {"early": {}},'
     ' "provenance": {}}', "lacks ['late']"),
])
def test_why_the_protocol_is_not_done(tmp_path, content, reason):
    path = tmp_path / "gradient-protocol.json"
    path.write_text(content)
    assert reason in reproduce.why_not_done(path, gp.RUN, "ci")
    finished = {"run": gp.RUN, "preset": "ci", "regimes": dict.fromkeys(gp.REGIMES, {}),
                "summary": dict.fromkeys(gp.REGIMES, {}), "provenance": {}}
    path.write_text(json.dumps(finished))
    assert reproduce.why_not_done(path, gp.RUN, "ci") is None


def test_in_history_checks_its_argument():
    with pytest.raises(TypeError, match="sha must be a commit hash"):
        reproduce.in_history(123)
    assert reproduce.in_history("0" * 40) in (False, None)


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
