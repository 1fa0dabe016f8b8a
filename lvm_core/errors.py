"""Exceptions with messages written for the person at the keyboard (shown as-is by the CLI and app)."""


class LvmError(Exception):
    """Base class: anything the user can fix (a file, a setting, a missing dataset)."""


class CheckpointError(LvmError):
    """A file that cannot be loaded as an LVM Explorer checkpoint (corrupt, truncated, foreign...)."""


class FileRefused(LvmError):
    """A path that cannot be read as a file: a folder, a named pipe, a device, a file too big to read."""


class BrokenModel(CheckpointError, ValueError):
    """A checkpoint that loads but whose model computes NaN or infinite codes or images (a bad file)."""


class DatasetUnavailable(LvmError):
    """A dataset that is neither on disk nor downloadable right now."""


class TrainingDiverged(LvmError):
    """The loss became NaN or infinite; nothing from the run was saved."""


class ImageError(LvmError):
    """An uploaded file that cannot be turned into a dataset image."""


class InvalidInput(LvmError, ValueError):
    """Values that do not go together (arguments, settings, a set of files), or a model given for what it
    cannot do (an AE where a VAE is needed): the CLI exits 2. A ValueError too, as the engine's checks were."""


class ConfigError(InvalidInput):
    """A model or training setting out of its type or bounds (a ValueError too: bad arguments)."""


class NeedsLabels(LvmError):
    """A conditional model (a CVAE) asked to encode, decode or train without the images' classes."""
