import random

import numpy as np
import pytest
import torch

from lecturelib import presets


def test_preset_reads_env(monkeypatch):
    for name in presets.PRESETS:
        monkeypatch.setenv("LECTURELIB_PRESET", name)
        assert presets.preset() == name


@pytest.mark.parametrize("cuda", [True, False])
@pytest.mark.parametrize("unset", ["", "   ", None])
def test_the_default_is_quick_with_or_without_a_gpu(monkeypatch, cuda, unset):
    if unset is None:
        monkeypatch.delenv("LECTURELIB_PRESET", raising=False)
    else:
        monkeypatch.setenv("LECTURELIB_PRESET", unset)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert presets.preset() == "quick" == presets.DEFAULT


def test_full_only_when_asked_for(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LECTURELIB_PRESET", "full")
    assert presets.preset() == "full"


def test_unknown_preset_lists_choices(monkeypatch):
    monkeypatch.setenv("LECTURELIB_PRESET", "huge")
    with pytest.raises(ValueError, match=r"LECTURELIB_PRESET must be one of ci, quick, full; got 'huge'"):
        presets.preset()


def test_device_is_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert presets.device() == torch.device("cpu")


def test_set_seed_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()
    presets.set_seed(123)
    first = draw()
    presets.set_seed(123)
    assert draw() == first


@pytest.mark.parametrize("bad, err, msg", [(-1, ValueError, "seed must be >= 0"), (1.5, TypeError, "seed must be an integer"),
                                           ("3", TypeError, "seed must be an integer"), (2**32, ValueError, "seed must be <=")])
def test_set_seed_rejects_bad_seeds(bad, err, msg):
    with pytest.raises(err, match=msg):
        presets.set_seed(bad)


def test_pick_checks_table_and_name():
    table = {"ci": 1, "quick": 2, "full": 3}
    assert presets.pick(table, "quick") == 2
    with pytest.raises(ValueError, match="preset must be one of ci, quick, full; got 'big'"):
        presets.pick(table, "big")
    with pytest.raises(ValueError, match=r"missing \['full'\]"):
        presets.pick({"ci": 1, "quick": 2}, "ci")
