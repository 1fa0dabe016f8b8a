"""lvm_core.models.memory: the activation estimate against measured peak memory, and a model too wide
for the server refused before anything is allocated."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvm_core import ModelConfig, TrainConfig
from lvm_core.jobs import JobRegistry
from lvm_core.models.memory import ModelTooBig, batch_that_fits, check_fits, estimate

ROOT = Path(__file__).resolve().parent.parent
# A child measures one pass: its peak RSS (reset just before) grows by the batch's memory. glibc's mmap
# threshold is fixed low so that freed buffers go back to the system at once (RSS follows the live tensors).
MEASURE = """
import json, sys, torch
from lvm_core.config import ModelConfig
from lvm_core.models import build_model
torch.set_num_threads(1)
cfg, batch, training = ModelConfig.from_dict(json.loads(sys.argv[1])), int(sys.argv[2]), sys.argv[3] == "1"
model = build_model(cfg, seed=0)
opt = torch.optim.Adam(model.parameters())
def step(x):
    if training:
        opt.zero_grad(set_to_none=False)
        model.loss(x, x)["loss"].backward()
        opt.step()
    else:
        with torch.no_grad():
            model(x)
step(torch.rand(2, *cfg.image_shape))     # one-off costs first: Adam's moments, oneDNN's set-up
def kb(field):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field))
open("/proc/self/clear_refs", "w").write("5")   # the peak (VmHWM) starts again from the RSS now
before = kb("VmRSS:")
step(torch.rand(batch, *cfg.image_shape))
print((kb("VmHWM:") - before) * 1024)
"""
WIDE_CONV = ModelConfig(kind="vae", arch="conv", image_shape=(1, 28, 28), latent_dim=2, hidden=(8192, 4))
CASES = [  # big enough batches that the activations (~70-300 MB) dwarf the allocator's noise
    (ModelConfig(kind="ae", arch="mlp", image_shape=(1, 28, 28), latent_dim=16, hidden=(512, 256)), 16384),
    (ModelConfig(kind="vae", arch="conv", image_shape=(1, 28, 28), latent_dim=8, hidden=(32, 64)), 2048),
    (ModelConfig(kind="vae", arch="mlp", image_shape=(3, 32, 32), latent_dim=32, hidden=(1024,)), 4096),
]


def measured_bytes(config: ModelConfig, batch: int, training: bool) -> int:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(config.to_dict()), str(batch), str(int(training))],
                         capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's MALLOC_MMAP_THRESHOLD_ makes RSS exact")
@pytest.mark.parametrize("training", [False, True], ids=["forward", "training"])
@pytest.mark.parametrize("config, batch", CASES, ids=["mlp-ae", "conv-vae", "mlp-vae-colour"])
def test_the_estimate_is_within_a_quarter_of_the_measured_peak(config, batch, training):
    predicted, measured = estimate(config, batch, training).activation_bytes, measured_bytes(config, batch, training)
    assert abs(predicted - measured) <= 0.25 * measured, (predicted, measured)


def test_a_wide_conv_is_refused_naming_its_biggest_layer_without_allocating():
    # In a child whose address space may grow by 256 MB only: one activation of this run is 411 MB.
    code = f"""
import resource
from lvm_core.config import ModelConfig
from lvm_core.models.memory import check_fits, estimate, ModelTooBig
config = ModelConfig.from_dict({WIDE_CONV.to_dict()!r})
estimate(ModelConfig.from_dict({CASES[1][0].to_dict()!r}), 1, True)   # the meta device's one-off set-up
size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 2**20, resource.RLIM_INFINITY))
try:
    check_fits(config, 64, training=True, what="this run")
except ModelTooBig as exc:
    print(exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "LVM_MODEL_MEMORY_MB": "1024"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("this run would need about 1,590 MB for a batch of 64 (training)")
    assert "biggest layer, encoder.0 (Conv2d), outputs 392 MB" in out.stdout and out.stdout.count("\n") == 1


def test_the_train_page_s_submit_refuses_it_and_inference_batches_shrink(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelTooBig, match="LVM_MODEL_MEMORY_MB"):
        JobRegistry(max_running=1).submit("mnist", WIDE_CONV, TrainConfig(epochs=1, batch_size=64), owner="alice")
    assert not list(tmp_path.glob("*"))          # no run record, no process
    assert check_fits(WIDE_CONV, 1, training=False).total_bytes < 2 ** 20 * 1024
    assert batch_that_fits(WIDE_CONV, 2048) == 1024 * 2**20 // estimate(WIDE_CONV, 1, False).activation_bytes
    assert 20 < batch_that_fits(WIDE_CONV, 2048) < 2048
    assert batch_that_fits(CASES[0][0], 2048) == 2048
