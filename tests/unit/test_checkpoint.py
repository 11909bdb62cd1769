"""Per-epoch checkpoints: a run stopped part-way and resumed ends exactly as an uninterrupted one."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from lecturelib import reproduce
from lecturelib.callbacks import Callback
from lecturelib.checkpoint import Checkpoint
from lecturelib.data import mnist
from lecturelib.models import study_mlp
from lecturelib.presets import set_seed
from lecturelib.probes import WeightGeometry
from lecturelib.train import Phase, fit

ROOT = Path(__file__).resolve().parents[2]


def _same_run(a, b):
    """Two Histories agree in everything but wall time."""
    da, db = a.to_dict(), b.to_dict()
    da.pop("seconds"), db.pop("seconds")
    assert da == db


class _Crash(Callback):
    """A probe that kills the run while it measures epoch ``at`` (before that epoch's checkpoint)."""
    def __init__(self, at):
        self.at, self.calls = at, 0

    def measure(self, run):
        self.calls += 1
        if self.calls == self.at + 1:
            raise KeyboardInterrupt("simulated kill")
        return {}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def _train(checkpoint=None, extra_probes=()):
    set_seed(0)
    model = study_mlp((32,))
    data = mnist(train_limit=600, test_limit=200)
    schedule = [Phase(2, 64, 0.05), Phase(2, 128, 0.1)]
    saving = [] if checkpoint is None else [checkpoint]
    return fit(model, data, optimizer="adam", lr=0.01, schedule=schedule, seed=3,
               callbacks=[*saving, WeightGeometry(), *extra_probes])   # the Checkpoint first: fit calls it last


def test_resumed_run_equals_uninterrupted(tmp_path):
    whole = _train()
    ck = Checkpoint(tmp_path / "run.pt", {"run": "test", "commit": "abc"})
    with pytest.raises(KeyboardInterrupt):
        _train(ck, extra_probes=[_Crash(at=3)])      # dies in epoch 3, a phase change behind it
    assert torch.load(ck.path, weights_only=True)["epoch"] == 2
    resumed = _train(ck, extra_probes=[_Crash(at=99)])
    _same_run(whole, resumed)
    assert resumed.epoch == [0, 1, 2, 3, 4] and not list(tmp_path.glob("*.tmp"))


def test_other_key_or_torn_file_starts_afresh(tmp_path, capsys):
    whole = _train()
    ck = Checkpoint(tmp_path / "run.pt", {"run": "test", "commit": "abc"})
    with pytest.raises(KeyboardInterrupt):
        _train(ck, extra_probes=[_Crash(at=2)])
    other = Checkpoint(ck.path, {"run": "test", "commit": "def"})
    _same_run(whole, _train(other, extra_probes=[_Crash(at=99)]))
    assert "not {'run': 'test', 'commit': 'def'}; starting the run afresh" in capsys.readouterr().out
    ck.path.write_bytes(ck.path.read_bytes()[:100])
    _same_run(whole, _train(ck, extra_probes=[_Crash(at=99)]))
    assert "unreadable" in capsys.readouterr().out


def test_checkpoint_needs_probes_with_state(tmp_path):
    class Stateless(Callback):
        pass

    set_seed(0)
    data = mnist(train_limit=100, test_limit=50)
    with pytest.raises(TypeError, match="Stateless has not"):
        fit(study_mlp((8,)), data, callbacks=[Stateless(), Checkpoint(tmp_path / "a.pt", {})])
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a lecturelib.callbacks.Callback"):
        fit(study_mlp((8,)), data, callbacks=[str(tmp_path / "a.pt")])
    with pytest.raises(ValueError, match="at most one Checkpoint, got 2"):
        fit(study_mlp((8,)), data, callbacks=[Checkpoint(tmp_path / "a.pt", {}), Checkpoint(tmp_path / "b.pt", {})])


def test_checkpoint_arguments_are_checked(tmp_path):
    with pytest.raises(TypeError, match="path must be a file path"):
        Checkpoint(3, {})
    with pytest.raises(TypeError, match="key must be a dict"):
        Checkpoint(tmp_path / "a.pt", ["run"])


def test_reproduce_killed_mid_run_resumes_to_the_same_file(tmp_path):
    """A real SIGKILL of ``python -m lecturelib.reproduce`` at `ci`, then a restart."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LECTURELIB_PRESET": "ci"}

    def command(out, ck):
        return [sys.executable, "-m", "lecturelib.reproduce", "--preset", "ci", "--only", "bs-64-lr-0.01",
                "--out", str(out), "--checkpoints", str(ck)]

    killed, ck = tmp_path / "killed", tmp_path / "ck"
    proc = subprocess.Popen(command(killed, ck), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = ck / "bs-64-lr-0.01.pt"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if saved.exists() and torch.load(saved, weights_only=True)["epoch"] >= 2:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    epoch_at_kill = torch.load(saved, weights_only=True)["epoch"]
    assert not (killed / "bs-64-lr-0.01.json").exists(), "the run finished before it could be killed"
    assert 2 <= epoch_at_kill < 8
    subprocess.run(command(killed, ck), cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(command(tmp_path / "whole", tmp_path / "ck2"), cwd=ROOT, env=env, check=True,
                   capture_output=True)
    import json
    a = json.loads((killed / "bs-64-lr-0.01.json").read_text())
    b = json.loads((tmp_path / "whole" / "bs-64-lr-0.01.json").read_text())
    a["history"].pop("seconds"), b["history"].pop("seconds")
    assert a["history"] == b["history"] and a["summary"] == b["summary"]
    assert not saved.exists()        # cleared once the results file is written


def test_reproduce_reruns_files_that_are_not_done(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(reproduce, "run_one", lambda spec, s, p, out, ck: calls.append(spec.label))
    (tmp_path / "bs-64-lr-0.1.json").write_text("{ torn")
    (tmp_path / "bs-64-lr-0.01.json").write_text('{"run": "BS 64, lr 0.01", "preset": "quick"}')
    reproduce.main(["--preset", "ci", "--out", str(tmp_path), "--only", "bs-64-lr-0.1", "bs-64-lr-0.01"])
    out = capsys.readouterr().out
    assert calls == ["BS 64, lr 0.1", "BS 64, lr 0.01"]
    assert "does not parse" in out and "was made at preset 'quick', not 'ci'" in out


def test_gradient_protocol_killed_mid_run_resumes_to_the_same_file(tmp_path):
    """``reproduce --only gradient-protocol`` at `ci`: SIGKILL after some (regime, B) are saved, then a restart."""
    import json

    env = {**os.environ, "OMP_NUM_THREADS": "1", "LECTURELIB_PRESET": "ci"}

    def command(out, ck):
        return [sys.executable, "-m", "lecturelib.reproduce", "--preset", "ci", "--only", "gradient-protocol",
                "--out", str(out), "--checkpoints", str(ck)]

    def finished(state):
        return sum(len(v) for v in state["norms"].values())

    killed, ck = tmp_path / "killed", tmp_path / "ck"
    proc = subprocess.Popen(command(killed, ck), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    saved = ck / "gradient-protocol.pt"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if saved.exists() and finished(torch.load(saved, weights_only=True)) >= 3:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    at_kill = finished(torch.load(saved, weights_only=True))
    assert not (killed / "gradient-protocol.json").exists(), "the protocol finished before it could be killed"
    assert 3 <= at_kill < 18                                   # 2 regimes x 9 batch sizes at ci
    subprocess.run(command(killed, ck), cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(command(tmp_path / "whole", tmp_path / "ck2"), cwd=ROOT, env=env, check=True,
                   capture_output=True)
    a = json.loads((killed / "gradient-protocol.json").read_text())
    b = json.loads((tmp_path / "whole" / "gradient-protocol.json").read_text())
    a["config"].pop("seconds"), b["config"].pop("seconds")
    assert a["regimes"] == b["regimes"] and a["summary"] == b["summary"] and a["config"] == b["config"]
    assert not saved.exists()        # cleared once the results file is written
