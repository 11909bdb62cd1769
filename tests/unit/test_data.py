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


# ---------------------------------------------------------------- corrupt files get their own message

@pytest.fixture
def mnist_copy(tmp_path):
    """A copy of this machine's MNIST files (compressed, and extracted where present) under tmp_path."""
    import shutil
    src = data.data_root() / "MNIST" / "raw"
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.MNIST_FILES:
        shutil.copy(src / name, raw / name)
    return tmp_path, raw


def _no_network(monkeypatch):
    import torchvision.datasets.mnist as tv_mnist
    monkeypatch.setattr(tv_mnist.MNIST, "mirrors", ["http://127.0.0.1:9/"])


def _truncate(path, keep=1000):
    path.write_bytes(path.read_bytes()[:keep])


def _assert_names_file_and_fix(message, path):
    assert str(path) in message, message
    assert "delete it" in message and "../shared/data/MNIST/raw/" in message, message
    assert "could not be downloaded" not in message, message


def test_a_truncated_gz_names_the_file_and_the_fix(mnist_copy, monkeypatch):
    root, raw = mnist_copy
    _no_network(monkeypatch)
    _truncate(raw / "train-labels-idx1-ubyte.gz")
    with pytest.raises(data.ChecksumError) as info:
        data.load_mnist("train", root=root, device="cpu")
    _assert_names_file_and_fix(str(info.value), raw / "train-labels-idx1-ubyte.gz")
    assert "torchvision downloads it (needs internet)" in str(info.value)
    assert "fails its MD5 checksum" in str(info.value)


def test_a_bad_train_file_is_named_when_the_test_split_loads_too(mnist_copy, monkeypatch):
    # torchvision needs all four files before it reads either split, so all four are checked.
    root, raw = mnist_copy
    _no_network(monkeypatch)
    _truncate(raw / "train-images-idx3-ubyte.gz")
    with pytest.raises(data.ChecksumError, match="train-images-idx3-ubyte.gz"):
        data.load_mnist("test", root=root, device="cpu")


def test_a_truncated_extracted_file_is_named_with_its_size(mnist_copy, monkeypatch):
    root, raw = mnist_copy
    _no_network(monkeypatch)
    data.load_mnist("test", root=root, device="cpu")   # torchvision extracts the .gz files beside them
    extracted = raw / "t10k-images-idx3-ubyte"
    assert extracted.is_file()
    _truncate(extracted, 5000)
    data._CACHE.clear()
    with pytest.raises(data.ChecksumError) as info:
        data.load_mnist("test", root=root, device="cpu")
    _assert_names_file_and_fix(str(info.value), extracted)
    assert "is 5,000 bytes, not 7,840,016 (truncated?)" in str(info.value)
    assert "extracts it afresh from the .gz beside it" in str(info.value)
    extracted.unlink()   # the fix the message gives, followed: it loads again
    x, _ = data.load_mnist("test", root=root, device="cpu")
    assert x.shape[0] == 10_000


def test_a_corrupt_file_of_the_right_size_is_caught(mnist_copy, monkeypatch):
    root, raw = mnist_copy
    _no_network(monkeypatch)
    data.load_mnist("test", root=root, device="cpu")
    labels = raw / "t10k-labels-idx1-ubyte"
    blob = bytearray(labels.read_bytes())
    blob[-1] ^= 0xFF
    labels.write_bytes(bytes(blob))
    data._CACHE.clear()
    with pytest.raises(data.ChecksumError, match="has the right size but the wrong MD5 sum"):
        data.load_mnist("test", root=root, device="cpu")


def test_good_files_pass_the_check(mnist_copy):
    root, _ = mnist_copy
    data.check_mnist_files(root)   # raises nothing
    data.check_mnist_files(root / "nowhere")   # nothing there to be corrupt: left to torchvision


def test_check_mnist_files_rejects_a_non_path():
    with pytest.raises(TypeError, match="root must be a path"):
        data.check_mnist_files(3)
