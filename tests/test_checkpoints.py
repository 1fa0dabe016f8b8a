import json
import os
import struct
from pathlib import Path

import pytest
import torch

from lvm_core import CheckpointError, ModelConfig, TrainConfig, build_model, load_checkpoint, save_checkpoint
from lvm_core.storage.checkpoints import read_description
from lvm_core.models import ARCHS, MODEL_KINDS, is_conditional


def small(kind="vae", arch="mlp"):
    hidden = (32,) if arch == "mlp" else (4, 8)
    torch.manual_seed(0)
    return build_model(ModelConfig(kind=kind, arch=arch, image_shape=(1, 8, 8), latent_dim=3, hidden=hidden,
                                   n_classes=10 if is_conditional(kind) else 0))


def save(path, model, **kw):
    return save_checkpoint(path, model, dataset="digits", class_names=[str(i) for i in range(10)], **kw)


@pytest.mark.parametrize("kind", MODEL_KINDS)
@pytest.mark.parametrize("arch", ARCHS)
def test_round_trip_gives_identical_outputs(tmp_path, kind, arch):
    model = small(kind, arch).eval()
    history = [{"epoch": 1, "loss": 1.5}]
    save(tmp_path / "m.safetensors", model, train_config=TrainConfig(epochs=3), metrics={"mse": 0.1},
         history=history, name="mine")
    ck = load_checkpoint(tmp_path / "m.safetensors")
    x = torch.rand(4, 1, 8, 8)
    y = (torch.tensor([0, 4, 9, 4]),) if is_conditional(kind) else ()     # a CVAE's classes
    with torch.no_grad():
        assert torch.equal(model(x, *y), ck.model(x, *y))
        assert torch.equal(model.embed(x, *y), ck.model.embed(x, *y))
    assert ck.config == model.config
    assert ck.config.n_classes == (10 if is_conditional(kind) else 0)
    assert ("n_classes" in read_description(tmp_path / "m.safetensors")["model_config"]) == is_conditional(kind)
    assert ck.train_config == TrainConfig(epochs=3)
    assert (ck.metrics, ck.history, ck.name, ck.dataset) == ({"mse": 0.1}, history, "mine", "digits")
    assert ck.class_names == tuple(str(i) for i in range(10))
    assert {"torch", "lvm_core", "python"} <= set(ck.versions)
    assert len(ck.digest) == 64 and not ck.model.training
    # bytes (an upload) load the same as the path
    assert load_checkpoint((tmp_path / "m.safetensors").read_bytes()).digest == ck.digest
    assert read_description(tmp_path / "m.safetensors")["name"] == "mine"


def test_truncated_file(tmp_path):
    p = save(tmp_path / "m.safetensors", small())
    data = p.read_bytes()
    for cut in (0, 5, 100, len(data) - 10):
        (tmp_path / "t.safetensors").write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="t.safetensors"):
            load_checkpoint(tmp_path / "t.safetensors")


def test_corrupt_and_foreign_files(tmp_path):
    cases = {
        "random.bin": os.urandom(4096),
        "text.safetensors": b"hello, I am not a checkpoint",
        "json.safetensors": struct.pack("<Q", 2) + b"{}",
    }
    # a plain safetensors file without our description (someone else's weights)
    from safetensors.torch import save as st_save

    cases["foreign.safetensors"] = st_save({"w": torch.zeros(3)})
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CheckpointError, match=name):
            load_checkpoint(tmp_path / name)


def test_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    for name, writer in {"evil.pt": lambda f: torch.save({"x": Evil()}, f),
                         "evil.pkl": lambda f: __import__("pickle").dump(Evil(), f)}.items():
        with open(tmp_path / name, "wb") as f:
            writer(f)
        assert not marker.exists()
        with pytest.raises(CheckpointError, match="pickle"):
            load_checkpoint(tmp_path / name)
        assert not marker.exists(), "loading must never execute code from the file"


def test_shape_mismatch(tmp_path):
    p = save(tmp_path / "m.safetensors", small())
    data = p.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = json.loads(header["__metadata__"]["lvm_explorer"])
    meta["model_config"]["latent_dim"] = 5  # weights were saved for 3
    header["__metadata__"]["lvm_explorer"] = json.dumps(meta)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    (tmp_path / "bad.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])
    with pytest.raises(CheckpointError, match="bad.safetensors.*do not match"):
        load_checkpoint(tmp_path / "bad.safetensors")


def test_crash_mid_save_keeps_previous_file(tmp_path, monkeypatch):
    p = save(tmp_path / "m.safetensors", small(), name="good")
    before = p.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save(p, small("ae"), name="newer")
    assert p.read_bytes() == before
    assert load_checkpoint(p).name == "good"
    assert [f.name for f in tmp_path.iterdir()] == ["m.safetensors"], "no temp file left behind"


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="nope.safetensors.*cannot read"):
        load_checkpoint(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("first_bytes,modulus", [(0x80, 256), (0x4B50, 65536)])  # b"\x80...", b"PK..."
def test_header_length_bytes_are_not_mistaken_for_a_pickle(tmp_path, first_bytes, modulus):
    """The header length's low bytes can read like a pickle or zip (a real bug: 1 file in 32)."""
    p = save(tmp_path / "m.safetensors", small(), name="x")
    data = p.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    length = n + (first_bytes - n) % modulus  # pad the JSON header with spaces up to that length
    odd = struct.pack("<Q", length) + data[8:8 + n] + b" " * (length - n) + data[8 + n:]
    assert odd[:1] == b"\x80" or odd[:2] == b"PK"
    assert load_checkpoint(odd).name == "x"


# --- hostile descriptions: refused with one line, before anything is allocated ---

@pytest.fixture
def real_bytes(tmp_path):
    return save(tmp_path / "m.safetensors", small()).read_bytes()


HOSTILE = [
    (dict(hidden=[50_000_000]), "a hidden size must be from 1 to 8,192"),
    (dict(image_shape=[1, 1_000_000, 1_000_000]), "an image side must be from 1 to 512"),
    (dict(latent_dim=1e12), "latent_dim must be a whole number"),
    (dict(latent_dim=32.0), "latent_dim must be a whole number, not 32.0"),
    (dict(latent_dim=-3), "latent_dim must be from 1"),
    (dict(image_shape=[8, 8]), "must have 3 numbers, not 2"),
    (dict(image_shape=[1, 1, 8, 8]), "must have 3 numbers, not 4"),   # fits the mlp's weights all the same
    (dict(hidden=[4000, 4000, 4000]), "parameters; at most"),
]


@pytest.mark.parametrize("changes,message", HOSTILE)
def test_absurd_model_configs_are_refused_before_building(tmp_path, monkeypatch, real_bytes, changes, message):
    from checkpoint_craft import with_model_config

    import lvm_core.storage.checkpoints as checkpoints

    monkeypatch.setattr(checkpoints, "build_model", lambda config: pytest.fail("built a model from a bad config"))
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(with_model_config(real_bytes, **changes))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    text = str(info.value)
    assert text.startswith("crafted.safetensors: the checkpoint's description is invalid")
    assert message in text and "\n" not in text and str(tmp_path) not in text


@pytest.mark.parametrize("field,value,message", [
    ("metrics", 5, "metrics must be a JSON object, not int"),
    ("history", 5, "history must be a list, not int"),
    ("versions", [1, 2, 3], "versions must be a JSON object, not list"),
    ("train_config", [1], "the training settings must be a JSON object"),
    ("class_names", "0123456789", "class_names must be a list"),
    ("dataset", 7, "dataset must be a string, not int"),
    ("name", {"a": 1}, "name must be a string"),
    ("metrics", {"mse": "low"}, "metrics must map names to numbers"),
])
def test_wrong_types_in_the_description_are_refused(real_bytes, field, value, message):
    from checkpoint_craft import with_description

    data = with_description(real_bytes, lambda meta: meta.update({field: value}))
    with pytest.raises(CheckpointError, match="upload.safetensors: the checkpoint's description is invalid") as info:
        load_checkpoint(data, name="upload.safetensors")
    assert message in str(info.value)


def test_a_huge_header_length_gives_a_plain_message(real_bytes):
    data = struct.pack("<Q", 3964090575782016240) + real_bytes[8:]
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(data, name="x.safetensors")
    assert "3964090575782016240" not in str(info.value) and "truncated or not a checkpoint" in str(info.value)


def test_nan_weights_are_refused(tmp_path):
    model = small()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))
    path = save(tmp_path / "nan.safetensors", model)
    with pytest.raises(CheckpointError, match="nan.safetensors: the weights contain NaN or infinite values"):
        load_checkpoint(path)


def test_messages_name_the_file_not_its_folder(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 64)
    for path in (tmp_path / "junk.safetensors", tmp_path / "gone.safetensors"):
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        assert str(info.value).startswith(path.name) and str(tmp_path) not in str(info.value)


def test_the_cli_says_the_same_line_without_a_traceback(tmp_path, real_bytes, capsys):
    from checkpoint_craft import with_model_config

    from lvm_core.cli.main import main

    path = tmp_path / "crafted.safetensors"
    path.write_bytes(with_model_config(real_bytes, latent_dim=1e12))
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == ("error: crafted.safetensors: the checkpoint's description is invalid "
                   "(latent_dim must be a whole number, not 1000000000000.0)\n")


def test_a_cvae_whose_classes_do_not_match_its_class_names_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "c.safetensors", small("cvae"), dataset="digits", class_names=["a", "b"])
    with pytest.raises(CheckpointError, match="c.safetensors: a model of 10 classes, but the file names 2"):
        load_checkpoint(path)


def test_configs_saved_before_n_classes_existed_still_load():
    """A shipped AE/VAE's description has no n_classes (made before the CVAE existed): it loads as 0; a new
    AE's saved config leaves it out too (older versions still open it); a cvae config without it is refused."""
    shipped = Path(__file__).resolve().parent.parent / "checkpoints" / "digits-vae-mlp-8.safetensors"
    described = read_description(shipped)["model_config"]
    assert "n_classes" not in described
    assert load_checkpoint(shipped).config.n_classes == 0
    assert "n_classes" not in small("ae").config.to_dict()
    with pytest.raises(ValueError, match="needs its number of classes"):
        ModelConfig.from_dict({**described, "kind": "cvae"})


def test_the_session_that_trained_a_model_is_kept_and_listed(tmp_path):
    """trained_by (the owner tag of the session that trained it) survives loading and a metrics update, and
    the catalog lists it; a model saved without one (a script's, an older file) lists ""."""
    from lvm_core.storage.catalog import list_models
    from lvm_core.storage.checkpoints import update_metrics

    save(tmp_path / "mine.safetensors", small(), name="mine", trained_by="0123abcd")
    save(tmp_path / "script.safetensors", small(), name="script")
    assert load_checkpoint(tmp_path / "mine.safetensors").trained_by == "0123abcd"
    update_metrics(tmp_path / "mine.safetensors", {"mse": 0.5})
    ck = load_checkpoint(tmp_path / "mine.safetensors")
    assert (ck.trained_by, ck.metrics, ck.name) == ("0123abcd", {"mse": 0.5}, "mine")
    listed = {e.name: e for e in list_models([tmp_path])}
    assert (listed["mine"].trained_by, listed["script"].trained_by) == ("0123abcd", "")
    assert listed["mine"].label == "mine · VAE mlp z=3"     # whose it is, the app says per session


def test_the_catalog_reads_each_file_version_once_and_a_rewritten_file_again(tmp_path, monkeypatch):
    """The sidebar lists the models on every page: an unchanged file is not parsed again, a replaced one is."""
    from lvm_core.storage import catalog

    save(tmp_path / "m.safetensors", small(), name="first")
    assert [e.name for e in catalog.list_models([tmp_path])] == ["first"]
    reads = []
    real = catalog.read_description
    monkeypatch.setattr(catalog, "read_description", lambda path: reads.append(path) or real(path))
    assert [e.name for e in catalog.list_models([tmp_path])] == ["first"] and reads == []
    save(tmp_path / "m.safetensors", small(), name="second")     # written anew: another inode and size
    assert [e.name for e in catalog.list_models([tmp_path])] == ["second"] and len(reads) == 1
    (tmp_path / "m.safetensors").unlink()
    assert catalog.list_models([tmp_path]) == []
