"""The conditional VAE through the engine: the one run path trains it with the split's labels, every bulk
pass is given each image's class (and without one says so in one line), the CLI trains, samples a class
and refuses what a cvae cannot do, and "same style, every class" is measured against its baselines."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import ROOT
from lvm_core import ModelConfig, TrainConfig, load_checkpoint, load_dataset
from lvm_core.errors import NeedsLabels
from lvm_core.generation import inference
from lvm_core.generation.sampling import sample_normal
from lvm_core.training.run import RunSpec, train_run
from test_cli import cli

DIGITS_CVAE = ROOT / "checkpoints" / "digits-cvae-mlp-8.safetensors"
MODEL = ModelConfig(kind="cvae", arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(32,), n_classes=10)


@pytest.fixture(scope="module")
def cvae():
    if not DIGITS_CVAE.exists():
        pytest.skip("digits-cvae-mlp-8 is not trained (bash checkpoints/train_all.sh conditional)")
    return load_checkpoint(DIGITS_CVAE)


def test_the_one_run_path_trains_a_cvae_with_the_splits_labels():
    outcome = train_run(RunSpec("digits", MODEL, TrainConfig(epochs=3, batch_size=64, threads=1, device="cpu")))
    assert outcome.trained and {"mse", "neg_elbo", "kl", "knn5_acc"} <= set(outcome.metrics)
    left_out = train_run(RunSpec("digits", MODEL, TrainConfig(epochs=1, threads=1, device="cpu",
                                                             exclude_classes=(7,))))
    assert left_out.trained        # the labels of the kept images travel with them


@pytest.mark.parametrize("call", ["encode", "decode", "reconstruct", "encode_posterior", "encode_split"])
def test_every_bulk_pass_of_a_cvae_needs_the_classes_and_says_so_in_one_line(cvae, digits, call):
    test = digits[1]
    args = {"encode": (test.images,), "decode": (np.zeros((3, 8), np.float32),), "reconstruct": (test.images,),
            "encode_posterior": (test.images,), "encode_split": (test.images, None)}[call]
    with pytest.raises(NeedsLabels, match="conditional model") as caught:
        getattr(inference, call)(cvae.model, *args)
    assert "\n" not in str(caught.value)
    with pytest.raises(NeedsLabels, match="one class from 0 to 9"):
        inference.decode(cvae.model, np.zeros((3, 8), np.float32), [1, 2])
    with pytest.raises(NeedsLabels, match="one class from 0 to 9"):
        inference.decode(cvae.model, np.zeros((3, 8), np.float32), 10)


def test_bulk_passes_give_each_image_its_class(cvae, digits):
    test = digits[1]
    x, y = test.images[:50], test.labels[:50]
    codes = inference.encode(cvae.model, x, y, batch_size=7)          # batches keep each row's class
    with torch.no_grad():
        np.testing.assert_allclose(codes, cvae.model.embed(x, y).numpy(), atol=1e-6)
    as_three = inference.decode(cvae.model, codes, 3)                 # one class for every code
    np.testing.assert_allclose(as_three, inference.decode(cvae.model, codes, np.full(50, 3)), atol=0)
    enc = inference.encode_split(cvae.model, x, y)
    assert enc.logvar is not None and enc.recon.shape == (50, 8, 8)
    np.testing.assert_allclose(enc.recon, inference.reconstruct(cvae.model, x, y), atol=1e-6)


def test_same_style_every_class_beats_random_styles(cvae, digits):
    """On the 8x8 digits: the classifier reads the class asked for; the slant follows the source image's
    only when the code is the image's own (random z ~ N(0, I): no agreement)."""
    from lvm_core.analysis.conditional import every_class, style_kept
    from lvm_core.analysis.quality import find_classifier
    from lvm_core.factors.measure import slant

    test, classifier = digits[1], find_classifier("digits")
    if classifier is None:
        pytest.skip("no shipped digits classifier")
    codes = inference.encode(cvae.model, test.images, test.labels)
    assert every_class(cvae.model, codes[:4]).shape == (4, 10, 8, 8)
    source = slant(test.images)
    kept = style_kept(cvae.model, codes, source, classifier)
    noise = style_kept(cvae.model, np.random.default_rng(0).standard_normal(codes.shape).astype(np.float32), source,
                       classifier)
    assert kept.accuracy > 0.9 and kept.class_accuracy.shape == (10,)
    assert kept.slant_rho.min() > 0.3 > 0.15 > np.abs(noise.slant_rho).max()


def test_the_cli_trains_samples_a_class_and_refuses_what_a_cvae_cannot(tmp_path, cvae):
    out = tmp_path / "c.safetensors"
    r = cli("train", "--model", "cvae", "--dataset", "digits", "--latent-dim", 4, "--hidden", 32, "--epochs", 2,
            "--out", out)
    assert r.returncode == 0, r.stderr
    assert load_checkpoint(out).config.n_classes == 10
    r = cli("sample", DIGITS_CVAE, "--n", 8, "--class", 3, "--out", tmp_path / "threes.npy")
    assert r.returncode == 0, r.stderr
    threes = np.load(tmp_path / "threes.npy")
    np.testing.assert_allclose(threes, inference.decode(cvae.model, sample_normal(8, 8, 0), 3), atol=1e-6)
    for args, message in ((("sample", DIGITS_CVAE, "--class", 10, "--out", tmp_path / "x.npy"), "--class must be"),
                          (("sample", ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors", "--class", 1, "--out",
                            tmp_path / "x.npy"), "--class is for a conditional model"),
                          (("iwae", DIGITS_CVAE, "--n", 10, "--k", 2), "the bound on -log p(x) is for a VAE")):
        r = cli(*args)
        assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = cli("encode", DIGITS_CVAE, "--out", tmp_path / "codes.npy")
    test = load_dataset("digits", "test")
    assert r.returncode == 0
    np.testing.assert_allclose(np.load(tmp_path / "codes.npy"), inference.encode(cvae.model, test.images, test.labels),
                               atol=1e-6)
