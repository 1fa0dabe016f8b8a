"""lvm_app.cache shares what is big across sessions: one copy of each dataset, one model per file version."""
import shutil

import torch

from lvm_app import cache
from lvm_core.storage.catalog import SHIPPED_DIR


def test_all_split_and_its_parts_share_one_tensor():
    test = cache.dataset("digits", "test")
    everything = cache.dataset("digits", "all")
    train, test_after = cache.dataset("digits", "train"), cache.dataset("digits", "test")
    assert len(everything) == len(train) + len(test) and torch.equal(test_after.images, test.images)
    storage = everything.images.untyped_storage().data_ptr()
    assert train.images.untyped_storage().data_ptr() == storage == test_after.images.untyped_storage().data_ptr()
    assert cache.dataset("digits", "train") is train          # the same object for every later caller


def test_open_model_is_shared_and_reloads_a_changed_file(tmp_path):
    path = tmp_path / "m.safetensors"
    shutil.copy(SHIPPED_DIR / "digits-vae-mlp-8.safetensors", path)
    first = cache.open_model(path)
    assert cache.open_model(str(path)) is first                 # every session gets the same model object
    shutil.copy(SHIPPED_DIR / "digits-ae-mlp-8.safetensors", path)
    assert cache.open_model(path).config.kind == "ae"


def test_a_model_over_the_memory_budget_is_refused_when_the_app_opens_it(monkeypatch):
    import pytest

    from lvm_core import CheckpointError
    from lvm_core.models import memory

    monkeypatch.setattr(memory, "budget_bytes", lambda: 1000)     # a budget no model's forward pass fits
    cache._checkpoint_from_path.clear()
    path = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"
    with pytest.raises(CheckpointError, match="would need about .*LVM_MODEL_MEMORY_MB"):
        cache.open_model(path)
    cache._checkpoint_from_path.clear()
