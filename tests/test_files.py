"""Safe file writing: atomic replace, never-overwrite names, ordinary permissions, CSV text."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from lvm_core.errors import FileRefused
from lvm_core.storage.files import atomic_write_bytes, csv_text, read_bytes, read_umask, write_new_file


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "sub" / "a.bin"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.bin"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~read_umask()  # not mkstemp's 0600


def test_write_new_file_never_replaces_a_file(tmp_path):
    first = write_new_file(tmp_path, "x", ".st", lambda stem: stem.encode())
    second = write_new_file(tmp_path, "x", ".st", lambda stem: stem.encode())
    assert (first.name, second.name) == ("x.st", "x-2.st")
    assert first.read_bytes() == b"x" and second.read_bytes() == b"x-2"
    assert sorted(os.listdir(tmp_path)) == ["x-2.st", "x.st"]


def test_csv_text_quotes_what_needs_quoting():
    text = csv_text(["index", "class"], [[0, "T-shirt/top"], [1, 'a, "b"']])
    assert text.splitlines()[0] == "index,class"
    assert list(csv.reader(io.StringIO(text))) == [["index", "class"], ["0", "T-shirt/top"], ["1", 'a, "b"']]


def test_write_new_file_without_hard_links_never_replaces_a_file_made_meanwhile(tmp_path, monkeypatch):
    """On a filesystem without hard links, another process takes x.safetensors between the free-name
    check and the write: that file is kept (os.replace would have overwritten it) and we get x-2."""
    def no_links_and_a_rival(src, dst):
        if dst.name == "x.safetensors":
            dst.write_bytes(b"theirs")
        raise PermissionError(1, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links_and_a_rival)
    path = write_new_file(tmp_path, "x", ".safetensors", lambda stem: stem.encode())
    assert path.name == "x-2.safetensors" and path.read_bytes() == b"x-2"
    assert (tmp_path / "x.safetensors").read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-2.safetensors", "x.safetensors"]   # no temp files


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "missing"])
def test_read_bytes_refuses_what_is_not_a_regular_file_without_blocking(tmp_path, kind):
    path = {"folder": tmp_path, "device": "/dev/zero", "missing": tmp_path / "gone.bin"}.get(kind)
    if kind == "fifo":
        path = tmp_path / "pipe.safetensors"
        os.mkfifo(path)      # nobody writes: a plain open() would block for ever
    with pytest.raises(FileRefused) as info:
        read_bytes(path, 1000)
    assert "\n" not in str(info.value) and str(info.value).startswith(Path(path).name)


def test_read_bytes_checks_the_size_before_reading(tmp_path):
    (tmp_path / "big.bin").write_bytes(b"x" * 2000)
    assert read_bytes(tmp_path / "big.bin", 2000) == b"x" * 2000
    with pytest.raises(FileRefused, match="more than a model"):
        read_bytes(tmp_path / "big.bin", 1999, limit="a model")
