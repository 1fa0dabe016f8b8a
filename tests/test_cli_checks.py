"""The command line's checks on the combinations the fuzz test (tests/fuzz/test_fuzz_cli.py) does not make:
each is one line on stderr, exit 2 or 1, before any work."""
from __future__ import annotations

import pytest

from lvm_core.cli.main import main
from lvm_core.storage.catalog import SHIPPED_DIR

VAE, AE = str(SHIPPED_DIR / "digits-vae-mlp-8.safetensors"), str(SHIPPED_DIR / "digits-ae-mlp-8.safetensors")
MNIST_VAE = str(SHIPPED_DIR / "mnist-vae-mlp-32.safetensors")


@pytest.mark.parametrize("argv, code, message", [
    (["train", "--dataset", "digits", "--exclude-class", *map(str, range(10)), "--out", "{tmp}/x.safetensors"], 2,
     "--exclude-class leaves out every class: nothing to train on"),
    (["train", "--dataset", "digits", "--exclude-class", "12", "--out", "{tmp}/x.safetensors"], 2,
     "--exclude-class 12: the dataset's classes are 0 to 9"),
    (["train", "--dataset", "digits", "--hidden", *["8"] * 9, "--out", "{tmp}/x.safetensors"], 2,
     "--hidden: at most 8 sizes"),
    (["train", "--dataset", "digits", "--out", "{tmp}"], 2, "is a folder; give a file name ending in .safetensors"),
    (["train", "--dataset", "digits", "--logdir", "{tmp}/file.txt", "--out", "{tmp}/x.safetensors"], 2,
     "argument --logdir: '{tmp}/file.txt' is a file; give a folder"),
    (["iwae", AE, "--n", "2"], 2, "digits-ae-mlp-8.safetensors is a plain autoencoder (AE)"),
    (["export", VAE, "--out", "{tmp}"], 2, "is a folder; give a file name ending in .onnx"),
    (["export-map", VAE, "--out", "{tmp}/file.txt"], 2, "is a file; give a folder"),
    (["export-map", VAE, "--method", "raw", "--out", "{tmp}/map"], 2, "--method raw: no 2-D map of 8-d codes"),
    (["sample", VAE, "--n", "200000", "--out", "{tmp}/grid.png"], 2, "megapixels (at most 40)"),
    (["sample", MNIST_VAE, "--n", "1000000", "--out", "{tmp}/s.npy"], 2, "would take 2.9 GB of memory"),
    (["project", VAE, "--method", "raw", "--out-dir", "{tmp}/maps"], 2, "nothing to do"),
    (["evaluate", "{tmp}/file.txt", "--write"], 1, "file.txt: the file is truncated or not a checkpoint"),
    (["table", "{tmp}", "--out", "{tmp}/binary.md"], 2, "no .safetensors files"),
])
def test_combinations_that_cannot_work_are_one_line(tmp_path, capsys, argv, code, message):
    (tmp_path / "file.txt").write_text("not a checkpoint, and long enough to have a header " * 3)
    before = sorted(tmp_path.iterdir())
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == code
    out, err = capsys.readouterr()
    assert message.replace("{tmp}", str(tmp_path)) in err and len(err.strip().splitlines()) == 1 and out == "", err
    assert sorted(tmp_path.iterdir()) == before


def test_a_named_pipe_or_a_device_is_refused_before_anything_is_read(tmp_path, capsys):
    import os

    os.mkfifo(tmp_path / "pipe.safetensors")
    for path in (tmp_path / "pipe.safetensors", "/dev/zero"):
        assert main(["evaluate", str(path)]) == 1
        err = capsys.readouterr().err
        assert ("a named pipe (FIFO), not a file" in err or "a device, not a file" in err), err


def test_table_refuses_to_rewrite_a_file_that_is_not_text(tmp_path, capsys):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.safetensors").write_bytes(open(VAE, "rb").read())
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00" * 10)
    assert main(["table", str(tmp_path / "models"), "--out", str(tmp_path / "binary.md")]) == 1
    assert "not a text (UTF-8) file" in capsys.readouterr().err
    assert (tmp_path / "binary.md").read_bytes() == b"\xff\xfe\x00" * 10


MNIST_CONV = [str(SHIPPED_DIR / f"mnist-{kind}-conv-32.safetensors") for kind in ("ae", "vae")]


@pytest.mark.parametrize("command", [["evaluate", MNIST_CONV[1]], ["sample", MNIST_CONV[1], "--out", "{tmp}/s.npy"],
                                     ["export-lesson", *MNIST_CONV, "--out", "{tmp}/lesson"]])
def test_a_model_whose_one_image_pass_would_not_fit_is_a_bad_file(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("LVM_MODEL_MEMORY_MB", "1")    # the conv VAE's one-image pass is ~3.3 MB
    assert main([a.replace("{tmp}", str(tmp_path)) for a in command]) == 1
    err = capsys.readouterr().err
    assert "LVM_MODEL_MEMORY_MB" in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []
