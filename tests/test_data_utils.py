"""``tw.utils``: get_file (download, checksum, cache, atomic rename, offline errors),
pad_sequences (Keras semantics) and train_test_split (scikit-learn semantics).

Downloads go to a local HTTP server on 127.0.0.1 (a thread, port 0, stopped by the
fixture and by a watchdog); nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, ShapeError, TensorweaveError
from tensorweave.utils.data_utils import (
    ChecksumError,
    DatasetFormatError,
    DownloadError,
    get_file,
    hash_file,
    validate_file,
)


# ---- a local HTTP server --------------------------------------------------------------------
class _Files:
    def __init__(self, port: int) -> None:
        self.port = port
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.requests: list[str] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def count(self, name: str) -> int:
        return self.requests.count("/" + name)


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
            if self.path.lstrip("/") in files.truncate:
                self.wfile.write(body[: len(body) // 2])  # then the connection closes
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state["files"] = _Files(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    watchdog = threading.Timer(120.0, httpd.shutdown)  # never outlives a stuck test
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
    monkeypatch.delenv("TENSORWEAVE_DATASETS", raising=False)
    return h


def _closed_port_url(name: str) -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: the connection is refused at once
    return f"http://127.0.0.1:{port}/{name}"


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- get_file ----------------------------------------------------------------------------
def test_get_file_downloads_once_into_home_datasets(server, home):
    body = b"hello, data\n" * 1000
    server.files["a.txt"] = body
    path = get_file("a.txt", server.url("a.txt"), file_hash=_sha(body))
    assert Path(path) == home / "datasets" / "a.txt"
    assert Path(path).read_bytes() == body
    again = tw.utils.get_file("a.txt", origin=server.url("a.txt"), file_hash=_sha(body))
    assert again == path
    assert server.count("a.txt") == 1  # the second call used the cache
    assert _leftovers(home / "datasets") == []


def test_get_file_name_from_url_cache_dir_and_subdir(server, tmp_path, home):
    server.files["dir/b.bin"] = b"\x00\x01"
    path = get_file(origin=server.url("dir/b.bin"), cache_dir=tmp_path / "c",
                    cache_subdir="mine")
    assert Path(path) == tmp_path / "c" / "mine" / "b.bin"
    absolute = tmp_path / "abs" / "x.bin"
    assert get_file(str(absolute), server.url("dir/b.bin")) == str(absolute)
    assert absolute.read_bytes() == b"\x00\x01"


def test_get_file_checksum_mismatch_leaves_no_file(server, home):
    server.files["c.txt"] = b"what the server sends"
    with pytest.raises(ChecksumError) as info:
        get_file("c.txt", server.url("c.txt"), file_hash=_sha(b"what we expected"))
    msg = str(info.value)
    assert server.url("c.txt") in msg and _sha(b"what we expected") in msg
    assert _sha(b"what the server sends") in msg
    assert isinstance(info.value, TensorweaveError) and isinstance(info.value, ValueError)
    folder = home / "datasets"
    assert not (folder / "c.txt").exists() and _leftovers(folder) == []


def test_get_file_redownloads_a_corrupt_cached_file(server, home, capsys):
    body = b"the real content"
    server.files["d.txt"] = body
    path = Path(get_file("d.txt", server.url("d.txt"), file_hash=_sha(body)))
    path.write_bytes(b"the real cont")  # cut short, as by an interrupted copy
    assert Path(get_file("d.txt", server.url("d.txt"), file_hash=_sha(body))).read_bytes() \
        == body
    assert server.count("d.txt") == 2
    assert "downloading it again" in capsys.readouterr().err


def test_get_file_without_hash_trusts_the_cache_and_force_download_refreshes(server, home):
    server.files["e.txt"] = b"v1"
    path = Path(get_file("e.txt", server.url("e.txt")))
    server.files["e.txt"] = b"v2"
    assert path.read_bytes() == b"v1" and Path(get_file("e.txt", server.url("e.txt"))) == path
    assert server.count("e.txt") == 1
    get_file("e.txt", server.url("e.txt"), force_download=True)
    assert path.read_bytes() == b"v2" and server.count("e.txt") == 2


def test_get_file_accepts_md5_and_keras_md5_hash(server, home):
    body = b"md5 me"
    server.files["f.txt"] = body
    md5 = hashlib.md5(body).hexdigest()
    assert Path(get_file("f.txt", server.url("f.txt"), file_hash=md5)).read_bytes() == body
    assert Path(get_file("g.txt", server.url("f.txt"), md5_hash=md5)).read_bytes() == body
    with pytest.raises(ChecksumError):
        get_file("h.txt", server.url("f.txt"), file_hash="0" * 32)


def test_interrupted_download_keeps_the_previous_file(server, home):
    good = b"A" * 4096
    server.files["i.bin"] = good
    path = Path(get_file("i.bin", server.url("i.bin")))
    server.files["i.bin"] = b"B" * 4096
    server.truncate.add("i.bin")
    with pytest.raises(DownloadError) as info:
        get_file("i.bin", server.url("i.bin"), force_download=True)
    assert server.url("i.bin") in str(info.value)
    assert path.read_bytes() == good  # the old file is intact: the rename never happened
    assert _leftovers(path.parent) == []


def test_offline_error_names_url_and_where_to_put_the_file(home):
    url = _closed_port_url("big.tar.gz")
    with pytest.raises(DownloadError) as info:
        get_file("big.tar.gz", url)
    msg = str(info.value)
    assert url in msg
    assert str(home / "datasets" / "big.tar.gz") in msg
    assert "by hand" in msg
    assert isinstance(info.value, OSError) and isinstance(info.value, TensorweaveError)
    assert info.value.url == url
    assert not (home / "datasets" / "big.tar.gz").exists()


def test_http_error_is_reported_with_its_status(server, home):
    with pytest.raises(DownloadError, match="HTTP 404"):
        get_file("missing.txt", server.url("missing.txt"))


def test_missing_origin_is_an_argument_error(home):
    with pytest.raises(InvalidArgumentError, match="origin"):
        get_file("x.txt")


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_get_file_extract_unpacks_next_to_the_archive(server, home):
    server.files["pack.tar.gz"] = _tar_gz({"pack/a.txt": b"A", "pack/sub/b.txt": b"B"})
    folder = Path(get_file("pack.tar.gz", server.url("pack.tar.gz"), extract=True))
    assert folder == home / "datasets" / "pack"
    assert (folder / "pack" / "a.txt").read_bytes() == b"A"
    assert (folder / "pack" / "sub" / "b.txt").read_bytes() == b"B"
    assert (home / "datasets" / "pack.tar.gz").is_file()
    get_file("pack.tar.gz", server.url("pack.tar.gz"), extract=True)
    assert server.count("pack.tar.gz") == 1


def test_extract_refuses_members_outside_the_folder(server, home, tmp_path):
    server.files["evil.tar.gz"] = _tar_gz({"../escaped.txt": b"x"})
    with pytest.raises(DatasetFormatError, match="outside"):
        get_file("evil.tar.gz", server.url("evil.tar.gz"), extract=True)
    assert not (home / "escaped.txt").exists()
    assert not (home / "datasets" / "evil").exists()


def test_hash_file_and_validate_file(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    assert hash_file(p) == _sha(b"abc")
    assert hash_file(p, "md5") == hashlib.md5(b"abc").hexdigest()
    assert validate_file(p, _sha(b"abc")) and validate_file(p, hashlib.md5(b"abc").hexdigest())
    assert not validate_file(p, _sha(b"abd"))


# ---- pad_sequences -------------------------------------------------------------------------
def test_pad_sequences_keras_defaults_pre_padding_and_truncation():
    seqs = [[1], [2, 3], [4, 5, 6]]
    out = tw.utils.pad_sequences(seqs)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tw.utils.pad_sequences(seqs, value=-1),
                                  [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(tw.utils.pad_sequences(seqs, padding="post"),
                                  [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(tw.utils.pad_sequences(seqs, maxlen=2),
                                  [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(tw.utils.pad_sequences(seqs, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(
        tw.utils.pad_sequences(seqs, maxlen=4, padding="post", truncating="post"),
        [[1, 0, 0, 0], [2, 3, 0, 0], [4, 5, 6, 0]])


def test_pad_sequences_dtype_empty_and_vector_elements():
    out = tw.utils.pad_sequences([[1.7, 2.2], []], dtype="float32", value=0.5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1.7, 2.2], [0.5, 0.5]])
    # floats into the default int32 are cast (truncated), as NumPy and Keras do
    np.testing.assert_array_equal(tw.utils.pad_sequences([[1.7, 2.2]]), [[1, 2]])
    vecs = [np.ones((2, 3)), np.full((1, 3), 2.0)]
    out = tw.utils.pad_sequences(vecs, dtype="float32")
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[1], [[0, 0, 0], [2, 2, 2]])
    words = tw.utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["<pad>", "a"], ["b", "c"]]
    assert tw.utils.pad_sequences([]).shape == (0, 0)


def test_pad_sequences_errors():
    with pytest.raises(InvalidArgumentError, match="padding"):
        tw.utils.pad_sequences([[1]], padding="middle")
    with pytest.raises(InvalidArgumentError, match="truncating"):
        tw.utils.pad_sequences([[1]], truncating="middle")
    with pytest.raises(InvalidArgumentError, match="position 1"):
        tw.utils.pad_sequences([[1], 5])
    with pytest.raises(InvalidArgumentError, match="shape"):
        tw.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(InvalidArgumentError, match="dtype=object"):
        tw.utils.pad_sequences([[1]], value="x")
    with pytest.raises(ValueError):  # Keras code catching ValueError keeps working
        tw.utils.pad_sequences([[1]], padding="middle")


# ---- train_test_split ----------------------------------------------------------------------
def test_train_test_split_matches_scikit_learn_documented_example():
    x = np.arange(10).reshape((5, 2))
    y = list(range(5))
    x_train, x_test, y_train, y_test = tw.utils.train_test_split(x, y, test_size=0.33,
                                                                 random_state=42)
    np.testing.assert_array_equal(x_train, [[4, 5], [0, 1], [6, 7]])
    np.testing.assert_array_equal(x_test, [[2, 3], [8, 9]])
    assert y_train == [2, 0, 3] and y_test == [1, 4]  # lists stay lists
    assert tw.utils.train_test_split(y, shuffle=False) == [[0, 1, 2], [3, 4]]


def test_train_test_split_sizes_follow_scikit_learn_rounding():
    x = np.arange(10)
    a, b = tw.utils.train_test_split(x, random_state=0)
    assert (len(a), len(b)) == (7, 3)  # default test 25 %, rounded up
    a, b = tw.utils.train_test_split(x, train_size=0.55, random_state=0)
    assert (len(a), len(b)) == (5, 5)  # train rounded down, test the complement
    a, b = tw.utils.train_test_split(x, train_size=4, test_size=3, random_state=0)
    assert (len(a), len(b)) == (4, 3)
    assert sorted(np.concatenate([a, b])) == sorted(set(np.concatenate([a, b])))
    a, b = tw.utils.train_test_split(x, test_size=2, random_state=0)
    assert (len(a), len(b)) == (8, 2)
    assert sorted(np.concatenate([a, b]).tolist()) == list(range(10))


def test_train_test_split_keeps_rows_aligned_and_is_seeded():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    x_tr, x_te, y_tr, y_te = tw.utils.train_test_split(x, y, test_size=0.2, random_state=7)
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    again = tw.utils.train_test_split(x, y, test_size=0.2, random_state=7)
    np.testing.assert_array_equal(again[3], y_te)
    other = tw.utils.train_test_split(x, y, test_size=0.2, random_state=8)
    assert not np.array_equal(other[3], y_te)
    t = tw.ops.convert_to_tensor(x.astype("float32"))
    t_tr, t_te = tw.utils.train_test_split(t, test_size=0.2, random_state=7)
    assert isinstance(t_tr, np.ndarray) and t_te.shape == (10, 2)


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 80 + [1] * 20)  # sorted by class, 80/20
    x = np.arange(100)
    x_tr, x_te, y_tr, y_te = tw.utils.train_test_split(x, y, test_size=0.25, stratify=y,
                                                       random_state=0)
    assert np.bincount(y_te).tolist() == [20, 5]
    assert np.bincount(y_tr).tolist() == [60, 15]
    np.testing.assert_array_equal(y[x_tr], y_tr)
    assert sorted(np.concatenate([x_tr, x_te]).tolist()) == list(range(100))
    # without stratify a small test set can miss the rare class entirely
    y3 = np.array([0] * 18 + [1] * 2)
    for seed in range(5):
        _, te = tw.utils.train_test_split(y3, test_size=0.5, stratify=y3, random_state=seed)
        assert np.bincount(te, minlength=2).tolist() == [9, 1]
    onehot = np.eye(2)[y]
    _, te = tw.utils.train_test_split(onehot, test_size=0.25, stratify=onehot, random_state=1)
    assert te.sum(axis=0).tolist() == [20, 5]


def test_train_test_split_errors():
    x = np.arange(10)
    with pytest.raises(InvalidArgumentError, match="test_size"):
        tw.utils.train_test_split(x, test_size=1.5)
    with pytest.raises(InvalidArgumentError, match="test_size"):
        tw.utils.train_test_split(x, test_size=0)
    with pytest.raises(InvalidArgumentError, match="test_size"):
        tw.utils.train_test_split(x, test_size=10)
    with pytest.raises(InvalidArgumentError):
        tw.utils.train_test_split(x, train_size=8, test_size=5)
    with pytest.raises(ShapeError, match="same number"):
        tw.utils.train_test_split(x, np.arange(9))
    with pytest.raises(InvalidArgumentError, match="only 1 member"):
        tw.utils.train_test_split(x, stratify=[0] * 9 + [1])
    with pytest.raises(InvalidArgumentError, match="shuffle"):
        tw.utils.train_test_split(x, stratify=[0, 1] * 5, shuffle=False)
    with pytest.raises(InvalidArgumentError, match="at least one"):
        tw.utils.train_test_split()


def test_utils_namespace_keeps_existing_helpers():
    assert tw.utils.to_categorical([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    np.testing.assert_allclose(tw.utils.normalize([[3.0, 4.0]]), [[0.6, 0.8]])
    for name in ("get_file", "pad_sequences", "train_test_split", "normalize",
                 "to_categorical", "PyDataset"):
        assert name in tw.utils.__all__ and callable(getattr(tw.utils, name))


def test_env_is_left_as_found(home):
    assert os.environ["TENSORWEAVE_HOME"] == str(home)
