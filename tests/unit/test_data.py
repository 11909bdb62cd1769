import pytest
import torch

from lecturelib import data


def test_load_mnist_shapes_and_normalization():
    x, y = data.load_mnist("train")
    assert x.shape == (60_000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (60_000,) and y.dtype == torch.int64
    assert abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1) < 1e-3
    assert set(y.unique().tolist()) == set(range(10))
    xt, yt = data.load_mnist("test")
    assert xt.shape == (10_000, 1, 28, 28) and yt.shape == (10_000,)


def test_load_mnist_limit_and_cache_are_consistent():
    x, y = data.load_mnist("test", limit=100)
    full_x, full_y = data.load_mnist("test")
    assert x.shape[0] == 100 and torch.equal(x, full_x[:100]) and torch.equal(y, full_y[:100])


def test_mnist_bundle():
    d = data.mnist(train_limit=50, test_limit=20)
    assert isinstance(d, data.Data)
    assert [len(t) for t in d] == [50, 50, 20, 20]


@pytest.mark.parametrize("kwargs, err, msg", [
    ({"split": "val"}, ValueError, "split must be one of 'train', 'test'; got 'val'"),
    ({"split": "train", "limit": 0}, ValueError, "limit must be >= 1, got 0"),
    ({"split": "train", "limit": 2.5}, TypeError, "limit must be an integer"),
    ({"split": "train", "root": 3}, TypeError, "root must be a path"),
])
def test_load_mnist_bad_arguments(kwargs, err, msg):
    split = kwargs.pop("split")
    with pytest.raises(err, match=msg):
        data.load_mnist(split, **kwargs)


def test_missing_files_offline_say_where_to_put_them(tmp_path, monkeypatch):
    import torchvision.datasets.mnist as tv_mnist
    # No network in tests: make the download fail the way it does offline.
    monkeypatch.setattr(tv_mnist.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(FileNotFoundError) as info:
        data.load_mnist("train", root=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    for name in data.MNIST_FILES:
        assert name in message
    assert "LECTURELIB_DATA" in message


def test_data_root_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("LECTURELIB_DATA", str(tmp_path))
    assert data.data_root() == tmp_path


@pytest.mark.parametrize("n, batch_size", [(10, 3), (64, 64), (65, 64), (5, 100)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_batches_cover_every_sample_once(n, batch_size, shuffle):
    x = torch.arange(n).float().unsqueeze(1)
    y = torch.arange(n)
    g = torch.Generator().manual_seed(0)
    got = list(data.batches(x, y, batch_size, shuffle=shuffle, generator=g))
    seen = torch.cat([yb for _, yb in got])
    assert sorted(seen.tolist()) == list(range(n))
    assert all(torch.equal(xb.squeeze(1).long(), yb) for xb, yb in got)
    assert [len(yb) for _, yb in got][:-1] == [batch_size] * (len(got) - 1)
    assert len(got[-1][1]) == n - batch_size * (len(got) - 1)   # last partial batch kept
    if not shuffle:
        assert seen.tolist() == list(range(n))


def test_batches_shuffle_is_seeded():
    x, y = torch.zeros(100, 1), torch.arange(100)
    order = lambda s: torch.cat([yb for _, yb in data.batches(x, y, 7, shuffle=True, generator=torch.Generator().manual_seed(s))])
    assert torch.equal(order(1), order(1)) and not torch.equal(order(1), order(2))


@pytest.mark.parametrize("args, kwargs, err, msg", [
    ((torch.zeros(3, 1), torch.zeros(4), 2), {"shuffle": False}, ValueError, "same length, got 3 and 4"),
    ((torch.zeros(0, 1), torch.zeros(0), 2), {"shuffle": False}, ValueError, "at least one sample"),
    ((torch.zeros(3, 1), torch.zeros(3), 0), {"shuffle": False}, ValueError, "batch_size must be >= 1, got 0"),
    ((torch.zeros(3, 1), torch.zeros(3), 2), {"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    (([1, 2], torch.zeros(2), 2), {"shuffle": False}, TypeError, "x must be a torch.Tensor"),
    ((torch.zeros(3, 1), torch.zeros(3), 2), {"shuffle": True, "generator": 5}, TypeError, "generator must be a torch.Generator"),
])
def test_batches_bad_arguments(args, kwargs, err, msg):
    with pytest.raises(err, match=msg):
        list(data.batches(*args, **kwargs))
