"""``tw.datasets``: the IDX reader, the Keras-style loaders (mnist, fashion_mnist, cifar10,
cifar100, imdb, reuters, california_housing) with their cache / checksum / download / offline
behaviour, the pickle-free reader of Keras's ragged ``.npz`` files, and the seeded
simulation generators.

Loaders download small files of the real formats, generated here, from a local HTTP
server on 127.0.0.1 (a thread, port 0, stopped by the fixture and by a watchdog). One
test trains on the real Fashion-MNIST when Debian's ``dataset-fashion-mnist`` is installed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import struct
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.datasets import (
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    idx,
    imdb,
    mnist,
    reuters,
    simulate,
)
from tensorweave.datasets._safe_pickle import UnsafePickleError, load_npz, loads_object_array
from tensorweave.errors import InvalidArgumentError, SerializationError, TensorweaveError
from tensorweave.utils.data_utils import (
    ChecksumError,
    DatasetFormatError,
    DatasetNotFoundError,
    file_matches,
)

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


# ---- a local HTTP server --------------------------------------------------------------------
class _Files:
    def __init__(self, port: int) -> None:
        self.port = port
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []

    def url(self, name: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def count(self, name: str | None = None) -> int:
        return len(self.requests) if name is None else self.requests.count("/" + name)


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            files = state["files"]
            files.requests.append(self.path)
            body = files.files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404, "not here")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["files"] = _Files(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    watchdog = threading.Timer(120.0, httpd.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield state["files"]
    finally:
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "twhome"
    monkeypatch.setenv("TENSORWEAVE_HOME", str(h))
    for var in ("TENSORWEAVE_DATASETS", "TENSORWEAVE_MNIST_URL",
                "TENSORWEAVE_FASHION_MNIST_URL", "TENSORWEAVE_CIFAR10_URL",
                "TENSORWEAVE_CIFAR100_URL",
                "TENSORWEAVE_IMDB_URL", "TENSORWEAVE_CALIFORNIA_HOUSING_URL",
                "TENSORWEAVE_IMDB_NPZ_URL", "TENSORWEAVE_REUTERS_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", ())  # never the installed package here
    return h


def _closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) \
        if folder.is_dir() else []


# ---- IDX ---------------------------------------------------------------------------------------
def _idx_bytes(a: np.ndarray, code: int) -> bytes:
    return bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + \
        a.astype(a.dtype.newbyteorder(">")).tobytes()


def test_idx_parses_every_element_type_big_endian():
    for dtype, code in (("uint8", 8), ("int8", 9), ("int16", 11), ("int32", 12),
                        ("float32", 13), ("float64", 14)):
        a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
        if dtype == "uint8":
            a = np.arange(24, dtype="uint8").reshape(2, 3, 4)
        out = idx.parse_idx(_idx_bytes(a, code))
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative
        np.testing.assert_array_equal(out, a)
        out[0, 0, 0] = 1  # writable, like Keras's arrays


def test_idx_write_read_round_trip_gzipped_or_not(tmp_path):
    a = np.random.RandomState(0).randint(0, 256, (5, 28, 28)).astype("uint8")
    idx.write_idx(tmp_path / "a-idx3-ubyte.gz", a)
    idx.write_idx(tmp_path / "a-idx3-ubyte", a)
    assert (tmp_path / "a-idx3-ubyte.gz").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a-idx3-ubyte.gz"), a)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a-idx3-ubyte"), a)


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "too short"),
    (b"<html><body>502 Bad Gateway</body></html>", "HTML"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown IDX element type"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x04\x01\x02", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "unexpected bytes"),
])
def test_idx_rejects_corrupt_files_with_a_clear_error(data, message):
    with pytest.raises(DatasetFormatError, match=message) as info:
        idx.parse_idx(data, "f.idx")
    assert "f.idx" in str(info.value)
    assert isinstance(info.value, TensorweaveError) and isinstance(info.value, ValueError)


def test_idx_corrupt_gzip_and_mismatched_pair(tmp_path):
    a = np.zeros((3, 28, 28), "uint8")
    idx.write_idx(tmp_path / "x.gz", a)
    cut = tmp_path / "cut.gz"
    cut.write_bytes((tmp_path / "x.gz").read_bytes()[:-9])
    with pytest.raises(DatasetFormatError, match="gzip"):
        idx.read_idx(cut)
    idx.write_idx(tmp_path / "y.gz", np.zeros(4, "uint8"))
    with pytest.raises(DatasetFormatError, match="3 images but .* 4 labels"):
        idx.load_image_label_pair(tmp_path / "x.gz", tmp_path / "y.gz")
    with pytest.raises(DatasetFormatError, match="is it the images file"):
        idx.load_image_label_pair(tmp_path / "y.gz", tmp_path / "y.gz")
    idx.write_idx(tmp_path / "z.gz", np.array([1, 2, 12], "uint8"))
    with pytest.raises(DatasetFormatError, match="out of range"):
        idx.load_image_label_pair(tmp_path / "x.gz", tmp_path / "z.gz")


# ---- MNIST and Fashion-MNIST -------------------------------------------------------------------
def _mnist_files(n_train=12, n_test=5, seed=0) -> tuple[dict[str, bytes], tuple]:
    rng = np.random.RandomState(seed)
    xtr = rng.randint(0, 256, (n_train, 28, 28)).astype("uint8")
    ytr = rng.randint(0, 10, n_train).astype("uint8")
    xte = rng.randint(0, 256, (n_test, 28, 28)).astype("uint8")
    yte = rng.randint(0, 10, n_test).astype("uint8")
    files = {}
    for name, a, code in zip(IDX_FILES, (xtr, ytr, xte, yte), (8, 8, 8, 8)):
        files[name] = gzip.compress(_idx_bytes(a, code), mtime=0)
    return files, (xtr, ytr, xte, yte)


def _serve_idx(server, monkeypatch, module, prefix="fm/"):
    files, arrays = _mnist_files()
    for name, body in files.items():
        server.files[prefix + name] = body
    monkeypatch.setattr(module, "BASE_URL", server.url(prefix))
    monkeypatch.setattr(module, "FILE_HASHES", {n: (_sha(b),) for n, b in files.items()})
    return files, arrays


def _check(loaded, arrays):
    (xtr, ytr), (xte, yte) = loaded
    for got, want in zip((xtr, ytr, xte, yte), arrays):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("module", [fashion_mnist, mnist])
def test_idx_dataset_downloads_verifies_caches(module, server, home, monkeypatch):
    files, arrays = _serve_idx(server, monkeypatch, module)
    _check(module.load_data(), arrays)
    cache = home / "datasets" / module.NAME
    assert sorted(p.name for p in cache.iterdir()) == sorted(IDX_FILES)
    assert server.count() == 4
    _check(tw.datasets.__getattr__(module.NAME).load_data(), arrays)
    assert server.count() == 4  # the second load made no request


def test_corrupt_cached_file_is_downloaded_again(server, home, monkeypatch, capsys):
    files, arrays = _serve_idx(server, monkeypatch, fashion_mnist)
    fashion_mnist.load_data()
    cached = home / "datasets" / "fashion_mnist" / "train-labels-idx1-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:-4])
    _check(fashion_mnist.load_data(), arrays)
    assert server.count("fm/train-labels-idx1-ubyte.gz") == 2
    assert server.count() == 5
    assert "checksum" in capsys.readouterr().err


def test_download_with_wrong_checksum_is_refused(server, home, monkeypatch):
    _serve_idx(server, monkeypatch, fashion_mnist)
    bad = dict(fashion_mnist.FILE_HASHES)
    bad["t10k-images-idx3-ubyte.gz"] = ("0" * 64,)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", bad)
    with pytest.raises(ChecksumError, match="t10k-images-idx3-ubyte.gz") as info:
        fashion_mnist.load_data()
    assert "0" * 64 in str(info.value)
    cache = home / "datasets" / "fashion_mnist"
    assert not (cache / "t10k-images-idx3-ubyte.gz").exists()
    assert _hidden(cache) == []  # no temporary file left behind


def test_offline_and_missing_says_what_was_searched_and_how_to_install(home, monkeypatch):
    url = _closed_port_url()
    monkeypatch.setenv("TENSORWEAVE_FASHION_MNIST_URL", url)
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", (str(home / "no-such-package-dir"),))
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist.load_data()
    msg = str(info.value)
    assert url + "train-images-idx3-ubyte.gz" in msg
    assert str(home / "datasets" / "fashion_mnist") in msg
    assert str(home / "no-such-package-dir") in msg
    assert "apt-get install dataset-fashion-mnist" in msg
    assert "TENSORWEAVE_FASHION_MNIST_URL" in msg and "path=" in msg
    assert isinstance(info.value, TensorweaveError) and isinstance(info.value, OSError)


def test_path_argument_reads_plain_or_gzipped_files(tmp_path, home, server):
    files, arrays = _mnist_files(seed=3)
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, body in files.items():  # two gzipped, two plain
        if "labels" in name:
            (folder / name).write_bytes(body)
        else:
            (folder / name[:-3]).write_bytes(gzip.decompress(body))
    _check(mnist.load_data(path=folder), arrays)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="lacks t10k-labels-idx1-ubyte.gz"):
        mnist.load_data(path=folder)
    assert server.count() == 0


def test_datasets_env_var_and_system_dir_are_searched(tmp_path, home, monkeypatch, server):
    files, arrays = _mnist_files(seed=4)
    shared = tmp_path / "shared"
    (shared / "fashion_mnist").mkdir(parents=True)
    for name, body in files.items():
        (shared / "fashion_mnist" / name).write_bytes(body)
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {n: (_sha(b),) for n, b in files.items()})
    monkeypatch.setenv("TENSORWEAVE_DATASETS", str(shared))
    _check(fashion_mnist.load_data(), arrays)
    monkeypatch.delenv("TENSORWEAVE_DATASETS")
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", (str(shared / "fashion_mnist"),))
    _check(fashion_mnist.load_data(), arrays)
    assert server.count() == 0 and not (home / "datasets").exists()


def test_corrupt_idx_in_the_cache_without_checksums_is_a_clear_error(server, home,
                                                                     monkeypatch):
    _serve_idx(server, monkeypatch, mnist)
    monkeypatch.setattr(mnist, "FILE_HASHES", {})  # a mirror with no published sums
    mnist.load_data()
    cached = home / "datasets" / "mnist" / "train-images-idx3-ubyte.gz"
    cached.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 6))
    with pytest.raises(DatasetFormatError, match="train-images-idx3-ubyte.gz"):
        mnist.load_data()


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed "
                           "(apt-get install dataset-fashion-mnist)")
def test_published_checksums_match_the_debian_files():
    for name in IDX_FILES:
        assert file_matches(DEBIAN_FASHION / name, fashion_mnist.FILE_HASHES[name])
        assert not file_matches(DEBIAN_FASHION / name, mnist.FILE_HASHES[name])


@pytest.mark.slow
@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(),
                    reason="real Fashion-MNIST absent: install the Debian package "
                           "dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")
def test_mlp_learns_real_fashion_mnist(home, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIRS", (str(DEBIAN_FASHION),))
    (x_train, y_train), (x_test, y_test) = tw.datasets.fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10
    x_train = x_train[:2000].reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test[:500].reshape(-1, 784).astype("float32") / 255.0
    y_train, y_test = y_train[:2000], y_test[:500]
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((784,)), tw.layers.Dense(64, activation="relu"),
                           tw.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=3, batch_size=32, verbose=0)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    assert acc > 0.7, f"test accuracy {acc:.3f} after 3 epochs on 2,000 images"


# ---- CIFAR-10 ----------------------------------------------------------------------------------
def _cifar_batch(n: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    x = rng.randint(0, 256, (n, 32, 32, 3)).astype("uint8")
    y = rng.randint(0, 10, n).astype("uint8")
    planes = x.transpose(0, 3, 1, 2).reshape(n, 3072)  # R plane, G plane, B plane
    return np.concatenate([y[:, None], planes], axis=1).tobytes(), x, y


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _cifar_archive():
    members, xs, ys = {}, [], []
    for i in range(1, 6):
        raw, x, y = _cifar_batch(3, i)
        members[f"cifar-10-batches-bin/data_batch_{i}.bin"] = raw
        xs.append(x)
        ys.append(y)
    raw, xt, yt = _cifar_batch(4, 9)
    members["cifar-10-batches-bin/test_batch.bin"] = raw
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    return _tar_gz(members), members, (np.concatenate(xs), np.concatenate(ys), xt, yt)


def test_cifar10_binary_records_channels_last(server, home, monkeypatch):
    archive, _, (x, y, xt, yt) = _cifar_archive()
    server.files["c/cifar-10-binary.tar.gz"] = archive
    monkeypatch.setenv("TENSORWEAVE_CIFAR10_URL", server.url("c/"))
    monkeypatch.setattr(cifar10, "FILE_HASHES", {cifar10.ARCHIVE: (_sha(archive),)})
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (15, 1) and y_test.shape == (4, 1)
    np.testing.assert_array_equal(x_train, x)
    np.testing.assert_array_equal(y_train[:, 0], y)
    np.testing.assert_array_equal(x_test, xt)
    np.testing.assert_array_equal(y_test[:, 0], yt)
    assert (home / "datasets" / "cifar10" / "cifar-10-binary.tar.gz").is_file()
    cifar10.load_data()
    assert server.count() == 1


def test_cifar10_pixel_layout_of_one_record():
    rec = bytearray(3073)
    rec[0] = 7
    rec[1 + 0 * 1024 + 1 * 32 + 2] = 10  # red at row 1, column 2
    rec[1 + 1 * 1024 + 1 * 32 + 2] = 20  # green
    rec[1 + 2 * 1024 + 1 * 32 + 2] = 30  # blue
    x, y = cifar10.parse_batch(bytes(rec))
    assert y.tolist() == [[7]]
    assert x[0, 1, 2].tolist() == [10, 20, 30] and int(x.sum()) == 60


def test_cifar10_rejects_truncated_batches_and_reads_a_folder(tmp_path, home):
    with pytest.raises(DatasetFormatError, match="3073-byte"):
        cifar10.parse_batch(b"\x01" * 3000, "data_batch_1.bin")
    with pytest.raises(DatasetFormatError, match="out of range"):
        cifar10.parse_batch(b"\x0c" + b"\x00" * 3072)
    _, members, (x, y, xt, yt) = _cifar_archive()
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, data in members.items():
        (folder / name.split("/")[-1]).write_bytes(data)
    (x_train, y_train), (x_test, _) = cifar10.load_data(path=folder)
    np.testing.assert_array_equal(x_train, x)
    np.testing.assert_array_equal(x_test, xt)
    incomplete = tmp_path / "broken.tar.gz"
    incomplete.write_bytes(_tar_gz({"cifar-10-batches-bin/data_batch_1.bin": members[
        "cifar-10-batches-bin/data_batch_1.bin"]}))
    with pytest.raises(DatasetFormatError, match="lacks data_batch_2.bin"):
        cifar10.load_data(path=incomplete)


# ---- CIFAR-100 ---------------------------------------------------------------------------------
def _cifar100_file(n: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """``n`` records in the publisher's layout, written byte by byte: coarse label, fine
    label, then the red, green and blue planes. Also the fine and coarse labels."""
    rng = np.random.RandomState(seed)
    fine = rng.randint(0, 100, n)
    fine[0] = 99  # the top of the range
    coarse = (fine * 7 + 3) % 20  # never equal to fine for these: a swap would show
    out = bytearray()
    for i in range(n):
        out += bytes([int(coarse[i]), int(fine[i])])
        out += bytes(rng.randint(0, 256, 3072).tolist())
    return bytes(out), fine, coarse


def _decode_cifar100_by_hand(raw: bytes) -> tuple[np.ndarray, list[int], list[int]]:
    """An independent reading of the binary format, one byte at a time."""
    n = len(raw) // 3074
    x = np.zeros((n, 32, 32, 3), np.uint8)
    coarse, fine = [], []
    for r in range(n):
        base = r * 3074
        coarse.append(raw[base])
        fine.append(raw[base + 1])
        for c in range(3):
            for row in range(32):
                for col in range(32):
                    x[r, row, col, c] = raw[base + 2 + c * 1024 + row * 32 + col]
    return x, coarse, fine


_FINE_NAMES = [f"fine_{i:02d}" for i in range(100)]
_FINE_NAMES[:3] = ["apple", "aquarium_fish", "baby"]
_COARSE_NAMES = [f"super_{i:02d}" for i in range(20)]
_COARSE_NAMES[:2] = ["aquatic_mammals", "fish"]


def _cifar100_archive(drop: tuple[str, ...] = ()):
    train, fine, coarse = _cifar100_file(7, 1)
    test, fine_t, coarse_t = _cifar100_file(5, 2)
    members = {
        "cifar-100-binary/coarse_label_names.txt": ("\n".join(_COARSE_NAMES) + "\n\n").encode(),
        "cifar-100-binary/fine_label_names.txt": ("\r\n".join(_FINE_NAMES) + "\r\n").encode(),
        "cifar-100-binary/train.bin": train,
        "cifar-100-binary/test.bin": test,
    }
    members = {k: v for k, v in members.items() if k.rsplit("/", 1)[-1] not in drop}
    return _tar_gz(members), members, (train, fine, coarse), (test, fine_t, coarse_t)


def test_cifar100_fine_and_coarse_labels_channels_last(server, home, monkeypatch):
    archive, _, (train, fine, coarse), (test, fine_t, coarse_t) = _cifar100_archive()
    server.files["c100/cifar-100-binary.tar.gz"] = archive
    monkeypatch.setenv("TENSORWEAVE_CIFAR100_URL", server.url("c100/"))
    monkeypatch.setattr(cifar100, "FILE_HASHES", {cifar100.ARCHIVE: (_sha(archive),)})
    (x_train, y_train), (x_test, y_test) = tw.datasets.cifar100.load_data()
    assert x_train.shape == (7, 32, 32, 3) and x_test.shape == (5, 32, 32, 3)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.shape == (7, 1) and y_test.shape == (5, 1)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    hand_x, hand_coarse, hand_fine = _decode_cifar100_by_hand(train)
    hand_xt, hand_coarse_t, hand_fine_t = _decode_cifar100_by_hand(test)
    np.testing.assert_array_equal(x_train, hand_x)
    np.testing.assert_array_equal(x_test, hand_xt)
    assert y_train[:, 0].tolist() == hand_fine == fine.tolist()
    assert y_test[:, 0].tolist() == hand_fine_t == fine_t.tolist()
    assert y_train.max() == 99
    (xc, yc), (xct, yct) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(xc, hand_x)
    np.testing.assert_array_equal(xct, hand_xt)
    assert yc.shape == (7, 1) and yc.dtype == np.int64
    assert yc[:, 0].tolist() == hand_coarse == coarse.tolist()
    assert yct[:, 0].tolist() == hand_coarse_t == coarse_t.tolist()
    fine_names = cifar100.get_label_names()
    assert list(fine_names) == _FINE_NAMES and cifar100.get_label_names("fine") == fine_names
    assert list(cifar100.get_label_names("coarse")) == _COARSE_NAMES
    assert fine_names[int(y_train[0, 0])] == "fine_99"
    assert (home / "datasets" / "cifar100" / "cifar-100-binary.tar.gz").is_file()
    assert server.count() == 1  # downloaded once, then every call read the cache


def test_cifar100_label_mode_is_checked_before_anything_is_fetched(home, monkeypatch):
    monkeypatch.setenv("TENSORWEAVE_CIFAR100_URL", _closed_port_url())
    for bad in ("medium", "Fine", None, 1):
        with pytest.raises(InvalidArgumentError, match="argument 'label_mode'.*'fine'.*'coarse'"):
            cifar100.load_data(label_mode=bad)
        with pytest.raises(ValueError, match="label_mode"):
            cifar100.get_label_names(bad)
    assert not (home / "datasets" / "cifar100").exists()


def test_cifar100_publisher_md5_checks_the_download(server, home, monkeypatch):
    assert cifar100.FILE_HASHES == {"cifar-100-binary.tar.gz":
                                    ("03b5dce01913d631647c71ecec9e9cb8",)}
    archive = _cifar100_archive()[0]
    server.files["c100/cifar-100-binary.tar.gz"] = archive
    monkeypatch.setenv("TENSORWEAVE_CIFAR100_URL", server.url("c100/"))
    with pytest.raises(ChecksumError, match="03b5dce01913d631647c71ecec9e9cb8"):
        cifar100.load_data()
    cache = home / "datasets" / "cifar100"
    assert not (cache / "cifar-100-binary.tar.gz").exists() and _hidden(cache) == []
    md5 = hashlib.md5(archive).hexdigest()
    monkeypatch.setattr(cifar100, "FILE_HASHES", {cifar100.ARCHIVE: (md5,)})
    assert cifar100.load_data()[0][0].shape == (7, 32, 32, 3)  # an MD5 alone is accepted


def test_cifar100_reads_a_folder_and_rejects_bad_files(tmp_path, home):
    _, members, (train, fine, _), (test, _, _) = _cifar100_archive()
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    for name, data in members.items():
        (folder / name.split("/")[-1]).write_bytes(data)
    for path in (folder, tmp_path):  # the unpacked folder, or a folder holding it
        (x_train, y_train), (x_test, _) = cifar100.load_data(path=path)
        np.testing.assert_array_equal(x_train, _decode_cifar100_by_hand(train)[0])
        np.testing.assert_array_equal(x_test, _decode_cifar100_by_hand(test)[0])
        assert y_train[:, 0].tolist() == fine.tolist()
        assert len(cifar100.get_label_names("coarse", path=path)) == 20
    x, labels = cifar100.parse_file(train[:3074])
    assert labels.dtype == np.uint8 and labels.tolist() == [[train[0], train[1]]]
    with pytest.raises(DatasetFormatError, match="3074-byte CIFAR-100"):
        cifar100.parse_file(_cifar_batch(2, 0)[0], "train.bin")  # CIFAR-10's 3073-byte records
    with pytest.raises(DatasetFormatError, match="fine label byte 100 is out of range 0..99"):
        cifar100.parse_file(b"\x00\x64" + b"\x00" * 3072)
    with pytest.raises(DatasetFormatError, match="coarse label byte 20 is out of range 0..19"):
        cifar100.parse_file(b"\x14\x00" + b"\x00" * 3072)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(_cifar100_archive(drop=("test.bin",))[0])
    with pytest.raises(DatasetFormatError, match="lacks test.bin"):
        cifar100.load_data(path=broken)
    (folder / "fine_label_names.txt").write_text("apple\nbaby\n")
    with pytest.raises(DatasetFormatError, match="2 names, expected 100"):
        cifar100.get_label_names(path=folder)


# ---- IMDB --------------------------------------------------------------------------------------
_REVIEWS = {
    "aclImdb/train/pos/0_9.txt": "A great movie. Great acting!<br /><br />The best.",
    "aclImdb/train/pos/1_8.txt": "Great fun, I don't regret it.",
    "aclImdb/train/neg/0_2.txt": "The worst movie. Boring and bad.",
    "aclImdb/train/neg/1_1.txt": "Bad, bad, bad.",
    "aclImdb/test/pos/0_10.txt": "The best movie of the year",
    "aclImdb/test/neg/0_3.txt": "Boring. The plot is bad",
    "aclImdb/train/unsup/0_0.txt": "unlabelled reviews are ignored",
    "aclImdb/imdb.vocab": "the\nmovie\n",
}


def _imdb_archive() -> bytes:
    return _tar_gz({k: v.encode("utf-8") for k, v in _REVIEWS.items()})


@pytest.fixture
def imdb_served(server, home, monkeypatch):
    archive = _imdb_archive()
    server.files["i/aclImdb_v1.tar.gz"] = archive
    monkeypatch.setattr(imdb, "BASE_URL", server.url("i/"))
    monkeypatch.setattr(imdb, "FILE_HASHES", {imdb.ARCHIVE: (_sha(archive),)})
    monkeypatch.setattr(imdb, "KERAS_BASE_URL", server.url("k/"))  # never the internet
    return server


def test_imdb_tokenizer_and_word_index(imdb_served):
    assert imdb.tokenize("Don't<br />STOP, it's great_fun!") == ["don't", "stop", "it's",
                                                                 "great", "fun"]
    index = imdb.get_word_index(source="text")
    # counts over the labelled reviews: bad 5, the 5, ... ties broken alphabetically
    assert index["bad"] == 1 and index["the"] == 2
    assert index["great"] == 3
    assert "unlabelled" not in index  # train/unsup is not read
    assert sorted(index.values()) == list(range(1, len(index) + 1))


def test_imdb_load_data_keras_encoding(imdb_served):
    index = imdb.get_word_index(source="text")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(source="text")
    assert x_train.dtype == object and len(x_train) == 4 and len(x_test) == 2
    assert sorted(y_train.tolist()) == [0, 0, 1, 1] and sorted(y_test.tolist()) == [0, 1]
    inverse = {v + 3: k for k, v in index.items()}
    decoded = {" ".join(inverse[i] for i in seq[1:]) for seq in x_train}
    assert "bad bad bad" in decoded
    assert "great fun i don't regret it" in decoded
    for seq, label in zip(x_train, y_train):
        assert isinstance(seq, list) and seq[0] == 1
        text = " ".join(inverse[i] for i in seq[1:])
        assert (label == 1) == ("great" in text or "best" in text.split())
    again = imdb.load_data(source="text")
    assert [list(s) for s in again[0][0]] == [list(s) for s in x_train]
    other = imdb.load_data(source="text", seed=1)
    assert sorted(map(tuple, other[0][0])) == sorted(map(tuple, x_train))


def test_imdb_num_words_skip_top_maxlen_oov(imdb_served):
    (x_train, _), (x_test, _) = imdb.load_data(source="text", num_words=6)
    for seq in list(x_train) + list(x_test):
        assert all(i == 1 or i == 2 or 3 <= i < 6 for i in seq)
    (x_train, _), _ = imdb.load_data(source="text", num_words=6, oov_char=None)
    assert all(all(i < 6 for i in s) for s in x_train)
    (x_train, _), _ = imdb.load_data(source="text", skip_top=5)  # 3, 4 (2 top words) -> oov
    assert all(i not in (3, 4) for s in x_train for i in s)
    (x_train, y_train), (x_test, _) = imdb.load_data(source="text", maxlen=7)
    assert all(len(s) < 7 for s in list(x_train) + list(x_test))
    assert len(x_train) == len(y_train) == 1  # only "bad bad bad" (4 with the start mark)
    assert len(x_test) == 1  # only "boring the plot is bad" (6)
    (x_train, _), _ = imdb.load_data(source="text", start_char=None, index_from=0)
    index = imdb.get_word_index(source="text")
    assert [index["bad"]] * 3 in [list(s) for s in x_train]
    with pytest.raises(InvalidArgumentError, match="maxlen"):
        imdb.load_data(source="text", maxlen=2)


def test_imdb_tokens_are_cached_without_pickle(imdb_served, home, monkeypatch):
    imdb.load_data(source="text")
    cache = home / "datasets" / "imdb" / "imdb_tokens_v1.npz"
    assert cache.is_file()
    with np.load(cache, allow_pickle=False) as z:  # integer arrays only
        assert all(z[k].dtype != object for k in z.files)

    def boom(*a, **k):
        raise AssertionError("the text was read again")

    monkeypatch.setattr(imdb, "_build", boom)
    imdb.load_data(source="text", num_words=5)
    assert imdb_served.count() == 1


# ---- Keras's ragged .npz files, read without unpickling ------------------------------------
def _obj(seqs) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def _ragged(n: int, seed: int, vocab: int = 60, max_len: int = 30) -> np.ndarray:
    rng = np.random.RandomState(seed)
    # Zipf-like ranks, so num_words / skip_top cut something
    return _obj([[int(w) for w in np.minimum(rng.zipf(1.3, size=rng.randint(1, max_len)), vocab)]
                 for _ in range(n)])


def _npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def _npy_with_stream(stream: bytes, shape=(2,), descr="|O") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue() + stream


def _zip(members: dict[str, bytes]) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    for u, v in zip(a.ravel(), b.ravel()):
        assert type(u) is type(v)
        assert np.array_equal(u, v) if isinstance(u, np.ndarray) else u == v


@pytest.mark.parametrize("compressed", [False, True])
def test_safe_npz_round_trips_what_numpy_saves(tmp_path, compressed):
    x = _obj([[1, 2, 3], [], [70000, 2**40, 0], [5]])
    nested = _obj([np.arange(4, dtype=np.int16), [7, 8], np.array([], dtype=">u4")])
    plain = {"y": np.array([3, 0, 45, 1]), "f": np.linspace(0, 1, 6).reshape(2, 3),
             "b": np.array([[True, False]])}
    f = tmp_path / "a.npz"
    f.write_bytes(_npz_bytes(compressed, x=x, nested=nested, **plain))
    got = load_npz(f)
    assert sorted(got) == ["b", "f", "nested", "x", "y"]
    _same(got["x"], x)
    _same(got["nested"], nested)
    for k, v in plain.items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
    with np.load(f, allow_pickle=True) as z:  # NumPy's own reading, as the oracle
        _same(got["x"], z["x"])


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_safe_pickle_reads_each_protocol_and_numpy_1_module_names(tmp_path, protocol):
    import pickle

    x = _obj([[1, 2], [3], [], [2**33, 4]])
    inner = _obj([np.arange(3, dtype=np.int32), np.int64(9), [4]])
    streams = [pickle.dumps(a, protocol=protocol) for a in (x, inner)]
    for a, stream in zip((x, inner), streams):
        _same(loads_object_array(stream), a)
    if protocol in (2, 3):  # unframed: NumPy 1.x spells the module numpy.core
        old = streams[0].replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        assert old != streams[0] and b"numpy._core" not in old
        _same(loads_object_array(old), x)
        streams[0] = old
    f = tmp_path / "p.npz"  # the stream inside a .npy member, as np.save writes it
    f.write_bytes(_zip({"x.npy": _npy_with_stream(streams[0], shape=(4,)),
                        "y.npy": _npz_member(np.array([1, 2, 3, 4]))}))
    got = load_npz(f)
    _same(got["x"], x)
    assert got["y"].tolist() == [1, 2, 3, 4]


def _npz_member(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


# What Python 2's NumPy wrote (Keras's files are that old): protocol 2, numpy.core, the type
# codes as Python 2 str (SHORT_BINSTRING), dtype flags as ints.
_PY2_STREAM = (
    b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b"
    b"\x87Rq\x03(K\x01K\x02\x85cnumpy\ndtype\nq\x04U\x02O8K\x00K\x01\x87Rq\x05"
    b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb\x89]q\x06(]q\x07(K\x01M\xe8\x03e"
    b"]q\x08K\x05aetb.")


def test_safe_pickle_reads_a_python_2_stream():
    got = loads_object_array(_PY2_STREAM, "py2")
    assert got.dtype == object and [list(s) for s in got] == [[1, 1000], [5]]


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _evil_streams(marker: Path) -> dict[str, bytes]:
    import pickle

    good = pickle.dumps(_obj([[1, 2], [3]]), protocol=2)
    shell = f"touch {marker}".encode()
    return {
        "os.system in an element": pickle.dumps(_obj([[1], _Evil(marker)]), protocol=4),
        "os.system at the top": pickle.dumps(_Evil(marker), protocol=2),
        "builtins.eval": b"\x80\x02cbuiltins\neval\nX" + struct.pack("<I", len(
            b"open(%r, 'w')" % str(marker).encode())) + b"open(%r, 'w')" % str(
            marker).encode() + b"\x85R.",
        "posix.system by STACK_GLOBAL": b"\x80\x04\x8c\x05posix\x8c\x06system\x93\x8c" +
            bytes([len(shell)]) + shell + b"\x85R.",
        "a whitelisted name with other args": good.replace(
            b"X\x02\x00\x00\x00O8", b"X\x02\x00\x00\x00V8"),
        "_reconstruct of another class": good.replace(b"cnumpy\nndarray\n",
                                                      b"cnumpy\ndtype\n\x00\x00"[:-2]),
        "REDUCE of numpy.ndarray": b"\x80\x02cnumpy\nndarray\nK\x03\x85R.",
        "a module that would be imported": b"\x80\x02ctw_evil_mod\nEvil\n)R.",
        "INST": b"(ios\nsystem\nX\x01\x00\x00\x00xb.",
        "persistent id": b"\x80\x02K\x01Q.",
        "a dict state": b"\x80\x02}q\x00.",
        "truncated": good[:40],
    }


@pytest.mark.parametrize("case", sorted(_evil_streams(Path("/x"))))
def test_malicious_streams_are_refused_without_running(tmp_path, monkeypatch, case):
    marker = tmp_path / "PWNED"
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "tw_evil_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n"
                                             "class Evil:\n    pass\n")
    stream = _evil_streams(marker)[case]
    with pytest.raises(UnsafePickleError, match=r"evil\.npy") as info:
        loads_object_array(stream, "evil.npy")
    assert isinstance(info.value, SerializationError) and isinstance(info.value,
                                                                     DatasetFormatError)
    f = tmp_path / "evil.npz"
    f.write_bytes(_zip({"x.npy": _npy_with_stream(stream)}))
    with pytest.raises(DatasetFormatError, match="evil.npz:x.npy"):
        load_npz(f)
    assert not marker.exists() and "tw_evil_mod" not in sys.modules


def test_refusals_name_the_opcode_or_global(tmp_path):
    streams = _evil_streams(tmp_path / "m")
    for case, pattern in [("os.system in an element", r"STACK_GLOBAL posix\.system"),
                          ("builtins.eval", r"GLOBAL builtins\.eval"),
                          ("INST", "opcode INST"), ("persistent id", "opcode BINPERSID"),
                          ("a dict state", "opcode EMPTY_DICT"),
                          ("REDUCE of numpy.ndarray", r"REDUCE of numpy\.ndarray"),
                          ("a whitelisted name with other args", r"REDUCE of numpy\.dtype")]:
        with pytest.raises(UnsafePickleError, match=pattern):
            loads_object_array(streams[case], "f.npy")
    np_saved = _npz_bytes(x=_obj([[1], [2.5]]))  # floats are not integer lists
    (tmp_path / "fl.npz").write_bytes(np_saved)
    with pytest.raises(UnsafePickleError, match="BINFLOAT"):
        load_npz(tmp_path / "fl.npz")


def test_dataset_sources_never_unpickle_or_evaluate():
    import ast

    folder = Path(imdb.__file__).parent
    for f in sorted(folder.glob("*.py")):
        tree = ast.parse(f.read_text(), str(f))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & {
                    "pickle", "_pickle", "cPickle", "marshal", "dill", "joblib"}, f
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in ("pickle", "_pickle", "marshal"), f
            if isinstance(node, ast.Call):
                fn = node.func
                assert not (isinstance(fn, ast.Name) and fn.id in ("eval", "exec")), f
                for kw in node.keywords:
                    assert not (kw.arg == "allow_pickle" and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value is False)), \
                        f"{f.name}:{node.lineno}"


# ---- Keras's algorithm, written out independently as the oracle -----------------------------
def _keras_steps(xs, ys, rng, start_char, index_from):
    order = list(range(len(xs)))
    rng.shuffle(order)
    out = []
    for i in order:
        seq = [w + index_from for w in xs[i]]
        if start_char is not None:
            seq.insert(0, start_char)
        out.append(seq)
    return out, [int(ys[i]) for i in order]


def _keras_cut(seqs, num_words, skip_top, oov_char):
    top = num_words or max(w for s in seqs for w in s)
    res = []
    for s in seqs:
        kept = []
        for w in s:
            if skip_top <= w < top:
                kept.append(w)
            elif oov_char is not None:
                kept.append(oov_char)
        res.append(kept)
    return res


def _keras_reuters(x, y, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
                   start_char=1, oov_char=2, index_from=3):
    seqs, labels = _keras_steps(list(x), list(y), np.random.RandomState(seed), start_char,
                                index_from)
    if maxlen:
        pairs = [(s, t) for s, t in zip(seqs, labels) if len(s) < maxlen]
        seqs, labels = [p[0] for p in pairs], [p[1] for p in pairs]
    seqs = _keras_cut(seqs, num_words, skip_top, oov_char)
    cut = int(len(seqs) * (1 - test_split))
    return (seqs[:cut], labels[:cut]), (seqs[cut:], labels[cut:])


def _keras_imdb(xtr, ytr, xte, yte, num_words=None, skip_top=0, maxlen=None, seed=113,
                start_char=1, oov_char=2, index_from=3):
    rng = np.random.RandomState(seed)
    tr = _keras_steps(list(xtr), list(ytr), rng, start_char, index_from)
    te = _keras_steps(list(xte), list(yte), rng, start_char, index_from)
    if maxlen:
        tr, te = ([[s for s in part[0] if len(s) < maxlen],
                   [t for s, t in zip(*part) if len(s) < maxlen]] for part in (tr, te))
    seqs = _keras_cut(tr[0] + te[0], num_words, skip_top, oov_char)
    return (seqs[:len(tr[0])], tr[1]), (seqs[len(tr[0]):], te[1])


def _as_lists(result):
    (xa, ya), (xb, yb) = result
    assert xa.dtype == object and xb.dtype == object and xa.ndim == xb.ndim == 1
    assert all(type(s) is list and all(type(w) is int for w in s) for s in list(xa) + list(xb))
    return ([list(s) for s in xa], ya.tolist()), ([list(s) for s in xb], yb.tolist())


_KERAS_ARGS = [
    {},
    {"num_words": 10},
    {"num_words": 12, "skip_top": 5, "seed": 7},
    {"maxlen": 12},
    {"num_words": 9, "oov_char": None},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "index_from": 2, "oov_char": 1, "num_words": 8},
    {"seed": 0, "maxlen": 20, "num_words": 15, "skip_top": 4},
]
_REUTERS_X = _ragged(57, seed=3)
_REUTERS_Y = np.random.RandomState(4).randint(0, 46, size=57).astype(np.int64)


@pytest.fixture
def reuters_served(server, home, monkeypatch):
    data = _npz_bytes(x=_REUTERS_X, y=_REUTERS_Y)
    index = json.dumps({"the": 1, "of": 2, "said": 3, "vs": 4}).encode()
    server.files["r/reuters.npz"] = data
    server.files["r/reuters_word_index.json"] = index
    monkeypatch.setattr(reuters, "BASE_URL", server.url("r/"))
    monkeypatch.setattr(reuters, "FILE_HASHES", {"reuters.npz": (_sha(data),),
                                                 "reuters_word_index.json": (
                                                     hashlib.md5(index).hexdigest(),)})
    return server


@pytest.mark.parametrize("kwargs", _KERAS_ARGS + [{"test_split": 0.5}, {"test_split": 0.0},
                                                  {"test_split": 0.33, "seed": 5}])
def test_reuters_matches_keras_step_for_step(reuters_served, kwargs):
    got = _as_lists(reuters.load_data(**kwargs))
    assert got == _keras_reuters(_REUTERS_X, _REUTERS_Y, **kwargs)
    assert reuters.load_data(**kwargs)[0][1].dtype == np.int64


def test_reuters_download_cache_word_index_and_labels(reuters_served, home, tmp_path):
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert len(x_train) == int(57 * 0.8) and len(x_train) + len(x_test) == 57
    assert (home / "datasets" / "reuters" / "reuters.npz").is_file()
    reuters.load_data(num_words=5)
    assert reuters_served.count("r/reuters.npz") == 1  # the cached, checked file
    assert reuters.get_word_index() == {"the": 1, "of": 2, "said": 3, "vs": 4}
    names = reuters.get_label_names()
    assert len(names) == 46 == len(set(names))
    assert names[:5] == ("cocoa", "grain", "veg-oil", "earn", "acq") and names[45] == "lead"
    y = tw.utils.to_categorical(y_train, num_classes=46)
    assert y.shape == (len(y_train), 46) and np.array_equal(y.argmax(1), y_train)
    # path=: the file itself, a folder holding it; a bare name is the cache file, as in Keras
    f = tmp_path / "mine.npz"
    f.write_bytes(reuters_served.files["r/reuters.npz"])
    assert _as_lists(reuters.load_data(path=f)) == _as_lists(reuters.load_data(path=tmp_path /
                                                                                "mine.npz"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "reuters.npz").write_bytes(f.read_bytes())
    assert _as_lists(reuters.load_data(path=tmp_path / "d"))[1] == _as_lists(
        reuters.load_data())[1]
    reuters.load_data(path="other_name.npz")
    assert (home / "datasets" / "reuters" / "other_name.npz").is_file()
    with pytest.raises(DatasetNotFoundError, match="neither a file nor a folder"):
        reuters.load_data(path=tmp_path / "nope" / "reuters.npz")
    with pytest.raises(InvalidArgumentError, match="test_split"):
        reuters.load_data(test_split=1.5)


def test_reuters_checksum_offline_and_format_errors(reuters_served, home, monkeypatch,
                                                    tmp_path):
    monkeypatch.setattr(reuters, "FILE_HASHES", {"reuters.npz": ("0" * 64,)})
    with pytest.raises(ChecksumError):
        reuters.load_data()
    assert not (home / "datasets" / "reuters" / "reuters.npz").exists()
    monkeypatch.setattr(reuters, "BASE_URL", _closed_port_url())
    with pytest.raises(DatasetNotFoundError, match="TENSORWEAVE_REUTERS_URL"):
        reuters.load_data()
    wrong = tmp_path / "w.npz"
    wrong.write_bytes(_npz_bytes(x_train=_REUTERS_X))
    with pytest.raises(DatasetFormatError, match="lacks the array"):
        reuters.load_data(path=wrong)
    bad_json = tmp_path / "wi.json"
    bad_json.write_text('{"the": "1"}')
    with pytest.raises(DatasetFormatError, match="word index"):
        reuters.get_word_index(path=bad_json)


# ---- IMDB from Keras's imdb.npz ---------------------------------------------------------------
_IMDB_X = (_ragged(31, seed=5, vocab=80, max_len=40), _ragged(23, seed=6, vocab=80, max_len=40))
_IMDB_Y = (np.random.RandomState(7).randint(0, 2, size=31).astype(np.int64),
           np.random.RandomState(8).randint(0, 2, size=23).astype(np.int64))
_IMDB_INDEX = {"the": 1, "and": 2, "a": 3, "of": 4, "great": 5}


@pytest.fixture
def imdb_keras_served(imdb_served, monkeypatch):
    server = imdb_served
    data = _npz_bytes(compressed=True, x_train=_IMDB_X[0], y_train=_IMDB_Y[0],
                      x_test=_IMDB_X[1], y_test=_IMDB_Y[1])
    index = json.dumps(_IMDB_INDEX).encode()
    server.files["k/imdb.npz"] = data
    server.files["k/imdb_word_index.json"] = index
    monkeypatch.setattr(imdb, "KERAS_FILE_HASHES", {
        "imdb.npz": (_sha(data),), "imdb_word_index.json": (hashlib.md5(index).hexdigest(),)})
    return server


@pytest.mark.parametrize("kwargs", _KERAS_ARGS)
def test_imdb_npz_matches_keras_step_for_step(imdb_keras_served, kwargs):
    got = _as_lists(imdb.load_data(**kwargs))  # source="auto": Keras's file when available
    assert got == _keras_imdb(_IMDB_X[0], _IMDB_Y[0], _IMDB_X[1], _IMDB_Y[1], **kwargs)
    assert got == _as_lists(imdb.load_data(source="keras", **kwargs))
    assert imdb_keras_served.count("i/aclImdb_v1.tar.gz") == 0


def test_imdb_npz_word_index_paths_and_maxlen(imdb_keras_served, home, tmp_path):
    assert imdb.get_word_index() == _IMDB_INDEX
    assert imdb.get_word_index(source="keras") == _IMDB_INDEX
    cache = home / "datasets" / "imdb"
    assert (cache / "imdb_word_index.json").is_file()
    with pytest.raises(InvalidArgumentError, match="maxlen"):
        imdb.load_data(maxlen=2)
    with pytest.raises(InvalidArgumentError, match="source"):
        imdb.load_data(source="tfds")
    # path=: Keras's file or a folder holding it (the word index beside it)
    imdb.load_data()
    (tmp_path / "k").mkdir()
    for name in ("imdb.npz", "imdb_word_index.json"):
        (tmp_path / "k" / name).write_bytes((cache / name).read_bytes())
    expected = _as_lists(imdb.load_data(num_words=20))
    assert _as_lists(imdb.load_data(path=tmp_path / "k" / "imdb.npz", num_words=20)) == expected
    assert _as_lists(imdb.load_data(path=tmp_path / "k", num_words=20)) == expected
    assert imdb.get_word_index(path=tmp_path / "k" / "imdb.npz") == _IMDB_INDEX
    assert imdb.get_word_index(path=tmp_path / "k") == _IMDB_INDEX


def test_imdb_auto_falls_back_to_the_text_archive_here_with_a_warning(imdb_served, home,
                                                                       monkeypatch, tmp_path):
    monkeypatch.setattr(imdb, "KERAS_BASE_URL", _closed_port_url())
    # nothing here and Keras's file unreachable: the error names both ways
    with pytest.raises(DatasetNotFoundError, match="source='text'"):
        imdb.load_data()
    imdb.load_data(source="text")  # downloads the archive into the cache
    with pytest.warns(UserWarning, match="indices differ from Keras"):
        auto = _as_lists(imdb.load_data())
    assert auto == _as_lists(imdb.load_data(source="text"))
    with pytest.warns(UserWarning, match="indices differ"):
        assert imdb.get_word_index() == imdb.get_word_index(source="text")
    # path= of the archive or its folder picks the text, without a warning
    archive = home / "datasets" / "imdb" / "aclImdb_v1.tar.gz"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _as_lists(imdb.load_data(path=archive)) == auto
        assert _as_lists(imdb.load_data(path=archive.parent)) == auto
    # never Keras's imdb.npz with the text ranks
    (archive.parent / "imdb.npz").write_bytes(_npz_bytes(
        x_train=_IMDB_X[0], y_train=_IMDB_Y[0], x_test=_IMDB_X[1], y_test=_IMDB_Y[1]))
    monkeypatch.setattr(imdb, "KERAS_FILE_HASHES", {})
    with pytest.raises(DatasetNotFoundError, match="imdb_word_index.json"):
        imdb.get_word_index()
    assert _as_lists(imdb.load_data()) == _keras_imdb(_IMDB_X[0], _IMDB_Y[0], _IMDB_X[1],
                                                      _IMDB_Y[1])


# ---- California housing ------------------------------------------------------------------------
def _housing_rows(n=50, seed=0) -> np.ndarray:
    rng = np.random.RandomState(seed)
    t = rng.rand(n, 9) * 100
    t[:, -1] = np.round(t[:, -1] * 1000)
    return np.round(t, 3)


def test_california_housing_csv_with_header_from_a_configured_url(server, home, monkeypatch):
    rows = _housing_rows()
    cols = ["median_house_value", "ocean_proximity"] + list(california_housing.FEATURES)
    lines = [",".join(cols)]
    for r in rows:
        lines.append(",".join([str(float(r[8])), "NEAR BAY"] + [str(float(v)) for v in r[:8]]))
    lines.append(",".join(["1.0", "INLAND", "", "2", "3", "4", "", "6", "7", "8"]))  # missing
    server.files["h/california_housing.csv"] = "\n".join(lines).encode()
    monkeypatch.setenv("TENSORWEAVE_CALIFORNIA_HOUSING_URL",
                       server.url("h/california_housing.csv"))
    with pytest.warns(UserWarning, match="dropped 1 row"):
        (x_train, y_train), (x_test, y_test) = california_housing.load_data()
    assert x_train.dtype == np.float32 and y_train.dtype == np.float32
    assert x_train.shape == (40, 8) and x_test.shape == (10, 8) and y_test.shape == (10,)
    got = {tuple(np.round(r, 2)) for r in np.concatenate(
        [np.concatenate([x_train, y_train[:, None]], 1),
         np.concatenate([x_test, y_test[:, None]], 1)])}
    assert got == {tuple(np.round(r.astype("float32"), 2)) for r in rows}
    with pytest.warns(UserWarning):
        again = california_housing.load_data()
    np.testing.assert_array_equal(again[0][0], x_train)  # seeded
    assert server.count() == 1  # cached
    with pytest.warns(UserWarning):
        (xs, _), (xt, _) = california_housing.load_data(version="small", test_split=0.5)
    assert len(xs) == 25 and len(xt) == 25
    with pytest.raises(InvalidArgumentError, match="test_split"):
        california_housing.load_data(test_split=1.0)


def test_california_housing_statlib_archive_and_checksum(server, home, monkeypatch):
    rows = _housing_rows(20, seed=1)
    data = "\n".join(",".join(str(float(v)) for v in r) for r in rows).encode()
    archive = _tar_gz({"CaliforniaHousing/cal_housing.data": data,
                       "CaliforniaHousing/cal_housing.domain": b"longitude: continuous.\n"})
    server.files["files/5976036"] = archive
    monkeypatch.setattr(california_housing, "URL", server.url("files/5976036"))
    monkeypatch.setattr(california_housing, "FILE_HASHES",
                        {"cal_housing.tgz": ("f" * 64,)})
    with pytest.raises(ChecksumError):
        california_housing.load_data()
    monkeypatch.setattr(california_housing, "FILE_HASHES",
                        {"cal_housing.tgz": (_sha(archive),)})
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(test_split=0.25)
    assert x_train.shape == (15, 8) and x_test.shape == (5, 8)
    assert (home / "datasets" / "california_housing" / "cal_housing.tgz").is_file()
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == \
        sorted(rows[:, 8].astype("float32").tolist())


def test_california_housing_csv_errors(tmp_path, home):
    bad = tmp_path / "h.csv"
    bad.write_text("longitude,latitude\n1,2\n")
    with pytest.raises(DatasetFormatError, match="housing_median_age"):
        california_housing.load_data(path=bad)
    bad.write_text("1,2,3\n")
    with pytest.raises(DatasetFormatError, match="9 columns"):
        california_housing.load_data(path=bad)


def test_every_real_loader_is_listed():
    for name in ("digits", "mnist", "fashion_mnist", "cifar10", "imdb", "reuters",
                 "california_housing", "simulate"):
        assert getattr(tw.datasets, name).__name__ == f"tensorweave.datasets.{name}"
    assert tw.datasets.make_blobs is simulate.make_blobs
    assert os.path.basename(cifar10.BASE_URL.rstrip("/")) == "~kriz"


# ---- simulation ----------------------------------------------------------------------------------
def test_simulators_are_seeded_and_typed():
    makers = {
        "regression": lambda s: simulate.make_regression(40, 3, noise=0.1, seed=s),
        "classification": lambda s: simulate.make_classification(40, 5, n_classes=3, seed=s),
        "blobs": lambda s: simulate.make_blobs(40, centers=3, n_features=2, seed=s),
        "spirals": lambda s: simulate.make_spirals(40, n_classes=3, seed=s),
        "moons": lambda s: simulate.make_moons(40, noise=0.1, seed=s),
        "circles": lambda s: simulate.make_circles(40, noise=0.1, seed=s),
        "sine": lambda s: simulate.make_sine_sequences(40, length=7, seed=s),
    }
    for name, make in makers.items():
        x1, y1 = make(0)
        x2, y2 = make(0)
        x3, _ = make(1)
        assert isinstance(x1, np.ndarray) and x1.dtype == np.float32, name
        assert len(x1) == len(y1) == 40, name
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
        assert not np.array_equal(x1, x3), name
        if name in ("regression", "sine"):
            assert y1.dtype == np.float32
        else:
            assert y1.dtype == np.int32


def test_make_regression_is_linear_plus_noise():
    x, y, w = simulate.make_regression(200, 4, noise=0.0, seed=3, bias=2.0, coef=True,
                                       n_informative=2)
    np.testing.assert_allclose(y, x @ w + 2.0, rtol=1e-5, atol=1e-4)
    assert w[2] == w[3] == 0 and np.all(np.abs(w[:2]) >= 1)
    _, y_noisy = simulate.make_regression(200, 4, noise=5.0, seed=3, bias=2.0,
                                          n_informative=2)
    assert 3.0 < np.std(y_noisy - y) < 7.0


def test_make_blobs_points_sit_around_their_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]])
    x, y = simulate.make_blobs(301, centers=centers, n_features=2, cluster_std=0.5, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    nearest = np.argmin(((x[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(nearest, y)
    with pytest.raises(InvalidArgumentError, match="cluster_std"):
        simulate.make_blobs(10, centers=3, cluster_std=[1.0, 2.0])


def test_make_spirals_classes_are_balanced_and_on_the_unit_disc():
    x, y = simulate.make_spirals(300, n_classes=3, noise=0.0, seed=0)
    assert x.shape == (300, 2) and np.bincount(y).tolist() == [100, 100, 100]
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() <= 1.0 + 1e-6
    # without noise, class k is the spiral at angle 2*pi*(r + k/3)
    theta = np.arctan2(x[:, 1], x[:, 0])
    expected = 2 * np.pi * (r + y / 3)
    np.testing.assert_allclose(np.cos(theta - expected), 1.0, atol=1e-4)


def test_make_sine_sequences_target_continues_the_wave():
    x, y = simulate.make_sine_sequences(50, length=10, seed=2, frequency=(0.05, 0.05))
    assert x.shape == (50, 10, 1) and y.shape == (50, 1)
    omega = 2 * np.pi * 0.05
    # a sine satisfies s[t+1] = 2 cos(omega) s[t] - s[t-1]
    np.testing.assert_allclose(y[:, 0], 2 * np.cos(omega) * x[:, -1, 0] - x[:, -2, 0],
                               atol=1e-5)
    np.testing.assert_allclose(x[:, 2:, 0],
                               2 * np.cos(omega) * x[:, 1:-1, 0] - x[:, :-2, 0], atol=1e-5)
    with pytest.raises(InvalidArgumentError, match="length"):
        simulate.make_sine_sequences(5, length=0)


def test_simulated_blobs_train_a_classifier():
    x, y = tw.datasets.make_blobs(300, centers=3, n_features=2, cluster_std=1.0, seed=0)
    x_tr, x_te, y_tr, y_te = tw.utils.train_test_split(x, y, test_size=0.25, stratify=y,
                                                       random_state=0)
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((2,)), tw.layers.Dense(16, activation="relu"),
                           tw.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_tr, y_tr, epochs=20, batch_size=32, verbose=0)
    _, acc = model.evaluate(x_te, y_te, verbose=0)
    assert acc > 0.9


def test_keras_npz_is_decoded_once_then_read_as_plain_arrays(tmp_path, monkeypatch):
    from tensorweave.datasets import _safe_pickle

    file = tmp_path / "reuters.npz"
    file.write_bytes(_npz_bytes(x=_REUTERS_X, y=_REUTERS_Y))
    first = _as_lists(reuters.load_data(path=file, num_words=20))
    decoded = tmp_path / "reuters.npz.decoded.npz"
    assert decoded.exists()
    with np.load(decoded, allow_pickle=False) as data:  # plain arrays only
        assert all(data[k].dtype != object for k in data.files)

    def refuse(*_a, **_k):
        raise AssertionError("the decoded copy should have been used")

    monkeypatch.setattr(_safe_pickle, "load_npz", refuse)
    assert _as_lists(reuters.load_data(path=file, num_words=20)) == first
    # a changed source file is parsed again (the copy records its size and mtime)
    file.write_bytes(_npz_bytes(x=_REUTERS_X[:40], y=_REUTERS_Y[:40]))
    with pytest.raises(AssertionError, match="decoded copy"):
        reuters.load_data(path=file)
    monkeypatch.undo()
    again = reuters.load_data(path=file, test_split=0.0)
    assert len(again[0][0]) == 40


def _doubling_list_stream(depth: int) -> bytes:
    """A pickle stream of ``depth`` nested lists, each holding the previous one twice
    (memo references): a few hundred bytes whose full repr would need 2**depth items."""
    import struct

    out = b"\x80\x02cnumpy\ndtype\n" + b"X" + struct.pack("<I", 2) + b"i8" + b"\x89\x88\x87R"
    out += b"]q\x00"
    for i in range(1, depth + 1):
        out += b"](h" + bytes([i - 1]) + b"h" + bytes([i - 1]) + b"eq" + bytes([i])
    return out + b"\x85b."


def test_safe_pickle_refusals_stay_small_for_self_similar_streams():
    """Run in a subprocess with a timeout: an unbounded repr of the refused object would
    never finish (2**200 items), and must fail the test rather than hang the suite."""
    import subprocess

    stream = _doubling_list_stream(200)
    assert len(stream) < 2500
    code = ("import sys\n"
            "from tensorweave.datasets._safe_pickle import UnsafePickleError, "
            "loads_object_array\n"
            "try:\n"
            "    loads_object_array(sys.stdin.buffer.read(), 'bomb.npy')\n"
            "except UnsafePickleError as exc:\n"
            "    print(len(str(exc)))\n")
    done = subprocess.run([sys.executable, "-c", code], input=stream, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert 0 < int(done.stdout.decode().strip()) < 600


def test_npy_header_claiming_more_data_than_the_file_holds_is_refused():
    import io

    from numpy.lib import format as npy_format

    from tensorweave.datasets._safe_pickle import read_npy

    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": "<i8", "fortran_order": False,
                                            "shape": (10 ** 12,)})
    buf.write(b"\0" * 64)
    with pytest.raises(DatasetFormatError, match="declares 8000000000000 bytes"):
        read_npy(buf.getvalue(), "x.npy")
