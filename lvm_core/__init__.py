"""LVM Explorer's engine: latent variable models (AE, VAE) in plain PyTorch. Never imports Streamlit."""
__version__ = "0.1.0"

from .checkpoints import Checkpoint, load_checkpoint, save_checkpoint  # noqa: E402
from .config import ModelConfig, TrainConfig  # noqa: E402
from .data import DATASETS, ImageDataset, load_dataset  # noqa: E402
from .errors import CheckpointError, DatasetUnavailable, ImageError, LvmError, TrainingDiverged  # noqa: E402
from .models import MODEL_KINDS, build_model  # noqa: E402
from .training import fit  # noqa: E402

__all__ = ["Checkpoint", "load_checkpoint", "save_checkpoint", "ModelConfig", "TrainConfig", "DATASETS",
           "ImageDataset", "load_dataset", "CheckpointError", "DatasetUnavailable", "ImageError", "LvmError",
           "TrainingDiverged", "MODEL_KINDS", "build_model", "fit"]
