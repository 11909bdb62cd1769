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


# --- ScaleTable: the scaffold of an experiment at a preset -------------------------------------

from dataclasses import dataclass, replace  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    epochs: int


@dataclass(frozen=True)
class Other:
    epochs: int


def _table():
    # quick and full are equal but distinct objects: preset_of must tell them apart by identity.
    return presets.ScaleTable(Sizes, {"ci": Sizes(1), "quick": Sizes(5), "full": Sizes(5)})


def test_scale_table_reads_like_its_dict():
    t = _table()
    assert list(t) == ["ci", "quick", "full"] and len(t) == 3
    assert t["ci"] == Sizes(1) and dict(t.items())["quick"] == Sizes(5)
    assert presets.pick(t, "ci") is t["ci"]


def test_scale_table_picks_by_name_or_active_preset(monkeypatch):
    t = _table()
    assert t.pick("ci") is t["ci"]
    monkeypatch.setenv("LECTURELIB_PRESET", "full")
    assert t.pick() is t["full"] and t.resolve(None) is t["full"]
    with pytest.raises(ValueError, match="preset must be one of ci, quick, full; got 'big'"):
        t.pick("big")


def test_scale_table_resolve_keeps_a_scale_of_its_class():
    t = _table()
    custom = Sizes(7)
    assert t.resolve(custom) is custom and t.resolve(t["ci"]) is t["ci"]
    with pytest.raises(TypeError, match=r"s must be a test_presets\.Sizes or None, got 'ci' \(str\)"):
        t.resolve("ci")
    with pytest.raises(TypeError, match=r"net must be a test_presets\.Sizes or None, got Other\(epochs=1\) \(Other\)"):
        t.resolve(Other(1), "net")


def test_scale_table_resolve_from_table_refuses_a_custom_scale():
    t = _table()
    assert t.resolve(t["quick"], from_table=True) is t["quick"]
    assert t.resolve(replace(t["ci"]), from_table=True) == t["ci"]     # an equal copy is the ci entry
    with pytest.raises(ValueError, match=r"s must be one of test_presets\.SCALES, the Scale of a preset "
                                         r"\(use test_presets\.scale\(preset\)\); got Sizes\(epochs=7\)"):
        t.resolve(Sizes(7), from_table=True)


def test_scale_table_preset_of_identity_first_then_equality():
    t = _table()
    assert [t.preset_of(t[p]) for p in presets.PRESETS] == ["ci", "quick", "full"]
    assert t.preset_of(Sizes(5)) == "quick"              # an equal copy: the first equal entry
    assert t.preset_of(Sizes(9), unknown="custom") == "custom"
    with pytest.raises(ValueError, match=r"use test_presets\.scale\(preset\)"):
        t.preset_of(Sizes(9))
    with pytest.raises(TypeError, match=r"s must be a test_presets\.Sizes, got int"):
        t.preset_of(5)


@pytest.mark.parametrize("args, err, match", [
    ((Sizes(1), {"ci": Sizes(1), "quick": Sizes(1), "full": Sizes(1)}), TypeError, "scale_class must be a class"),
    ((Sizes, [Sizes(1)]), TypeError, "entries must be a dict preset -> Scale, got list"),
    ((Sizes, {"ci": Sizes(1), "quick": Sizes(1)}), ValueError,
     r"entries must hold one Scale for each preset, ci, quick, full; got \['ci', 'quick'\]"),
    ((Sizes, {"ci": Sizes(1), "quick": Sizes(1), "full": Sizes(1), "huge": Sizes(1)}), ValueError,
     "entries must hold one Scale for each preset"),
    ((Sizes, {"ci": Sizes(1), "quick": Other(1), "full": Sizes(1)}), TypeError,
     r"entries\['quick'\] must be a test_presets\.Sizes, got Other"),
])
def test_scale_table_checks_its_entries(args, err, match):
    with pytest.raises(err, match=match):
        presets.ScaleTable(*args)


def test_every_experiment_module_uses_the_scaffold():
    """Each experiment at a preset: a ScaleTable of its own Scale, and scale() picks from it."""
    import importlib
    names = ["experiments." + m for m in ("autoencoders", "batch_dynamics", "batch_size", "batchnorm",
                                          "conv_padding", "lr_scaling", "sharpness", "tuning")] + ["gradient_protocol"]
    for name in names:
        module = importlib.import_module(f"lecturelib.{name}")
        assert isinstance(module.SCALES, presets.ScaleTable) and module.SCALES.scale_class is module.Scale, name
        assert not hasattr(module, "_scale"), name
        for p in presets.PRESETS:
            assert module.scale(p) is module.SCALES[p], name
            assert module.SCALES.preset_of(module.scale(p)) == p, name
