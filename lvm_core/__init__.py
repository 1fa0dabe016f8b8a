"""LVM Explorer's engine: latent variable models (AE, VAE) in plain PyTorch. Never imports Streamlit."""
from lvm_core.version import __version__  # noqa: E402, F401

from lvm_core.storage.checkpoints import Checkpoint, load_checkpoint, save_checkpoint  # noqa: E402
from lvm_core.config import ModelConfig, TrainConfig  # noqa: E402
from lvm_core.data.builtin import ImageDataset  # noqa: E402
from lvm_core.data.datasets import DATASETS, load_dataset  # noqa: E402
from lvm_core.errors import CheckpointError, DatasetUnavailable, ImageError, LvmError, TrainingDiverged  # noqa: E402
from lvm_core.models import MODEL_KINDS, build_model  # noqa: E402
from lvm_core.training.fit import fit  # noqa: E402

__all__ = ["Checkpoint", "load_checkpoint", "save_checkpoint", "ModelConfig", "TrainConfig", "DATASETS",
           "ImageDataset", "load_dataset", "CheckpointError", "DatasetUnavailable", "ImageError", "LvmError",
           "TrainingDiverged", "MODEL_KINDS", "build_model", "fit"]
