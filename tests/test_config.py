"""ModelConfig / TrainConfig validation: every field's type, arity and bounds, before anything is built."""
import pytest

from lvm_core import ModelConfig, TrainConfig, build_model
from lvm_core.config import MAX_PARAMETERS, parameter_count, parse_sizes
from lvm_core.errors import ConfigError, LvmError
from lvm_core.models import ARCHS, MODEL_KINDS, is_conditional


@pytest.mark.parametrize("kind", MODEL_KINDS)
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("shape,hidden", [((1, 8, 8), (16,)), ((1, 28, 28), (32, 8)), ((3, 16, 32), (4, 8, 4))])
def test_parameter_count_matches_the_built_model(kind, arch, shape, hidden):
    config = ModelConfig(kind=kind, arch=arch, image_shape=shape, latent_dim=5, hidden=hidden,
                         n_classes=3 if is_conditional(kind) else 0)
    assert parameter_count(config) == sum(p.numel() for p in build_model(config).parameters())


@pytest.mark.parametrize("changes,message", [
    (dict(latent_dim=32.0), "latent_dim must be a whole number, not 32.0"),
    (dict(latent_dim=True), "latent_dim must be a whole number"),
    (dict(latent_dim=10**12), "latent_dim must be from 1 to 1,024, not 1,000,000,000,000"),
    (dict(latent_dim=-4), "latent_dim must be from 1"),
    (dict(hidden=[50_000_000]), "a hidden size must be from 1 to 8,192, not 50,000,000"),
    (dict(hidden=[100_000_000]), "a hidden size must be from 1 to 8,192, not 100,000,000"),
    (dict(hidden=[-1]), "a hidden size must be from 1"),
    (dict(hidden=[]), "hidden must have 1 to 8 numbers, not 0"),
    (dict(hidden=5), "hidden must be a list of whole numbers, not 5"),
    (dict(hidden="128"), "hidden must be a list of whole numbers"),
    (dict(hidden=[8192, 8192]), "parameters; at most 20,000,000"),
    (dict(image_shape=[1, 1_000_000, 1_000_000]), "an image side must be from 1 to 512, not 1,000,000"),
    (dict(image_shape=[28, 28]), "image_shape (channels, height, width) must have 3 numbers, not 2"),
    (dict(image_shape=[1, 1, 28, 28]), "must have 3 numbers, not 4"),
    (dict(image_shape=[0, 28, 28]), "an image side must be from 1"),
    (dict(image_shape=[64, 28, 28]), "images must have 1 to 4 channels, not 64"),
    (dict(kind="gan"), "unknown model kind 'gan'; choose from ae, cvae, vae"),
    (dict(kind=["vae"]), "unknown model kind"),
    (dict(arch=None), "unknown architecture None"),
    (dict(beta=float("nan")), "beta must be a number, not nan"),
    (dict(beta="1"), "beta must be a number"),
    (dict(arch="conv", hidden=[8, 8, 8, 8, 8]), "divisible by 32"),
])
def test_model_config_refuses_with_one_line(changes, message):
    with pytest.raises(ConfigError) as info:
        ModelConfig.from_dict({**ModelConfig().to_dict(), **changes})
    text = str(info.value)
    assert message in text and "\n" not in text and len(text) < 200
    assert isinstance(info.value, LvmError) and isinstance(info.value, ValueError)  # Train page and CLI catch it


@pytest.mark.parametrize("changes,message", [
    (dict(epochs=2.5), "epochs must be a whole number"),
    (dict(epochs=0), "epochs must be from 1"),
    (dict(batch_size=10**9), "batch_size must be from 1 to 65,536"),
    (dict(lr=0), "lr must be positive"),
    (dict(lr="fast"), "lr must be a number"),
    (dict(input_noise=-1.0), "input_noise must be from 0"),
    (dict(exclude_classes=[1.5]), "an excluded class must be a whole number"),
    (dict(exclude_classes=7), "exclude_classes must be a list"),
    (dict(device="tpu"), "unknown device 'tpu'"),
    (dict(threads=0), "threads must be from 1"),
    (dict(debias_alpha=-0.5), "debias_alpha must be from 0"),
    (dict(debias_alpha=1e6), "debias_alpha must be from 0"),
])
def test_train_config_refuses_with_one_line(changes, message):
    with pytest.raises(ConfigError, match=None) as info:
        TrainConfig.from_dict({**TrainConfig().to_dict(), **changes})
    assert message in str(info.value)


def test_configs_from_json_are_normalised_and_round_trip():
    config = ModelConfig.from_dict({"kind": "vae", "arch": "mlp", "image_shape": [1, 8, 8], "latent_dim": 3,
                                    "hidden": [16, 8], "beta": 2})
    assert config.image_shape == (1, 8, 8) and config.hidden == (16, 8) and config.beta == 2.0
    assert ModelConfig.from_dict(config.to_dict()) == config \
        and hash(config) == hash(ModelConfig.from_dict(config.to_dict()))
    assert TrainConfig.from_dict({"epochs": 3, "exclude_classes": [7], "a_newer_field": 1}) == \
        TrainConfig(epochs=3, exclude_classes=(7,))
    with pytest.raises(ConfigError, match="JSON object"):
        TrainConfig.from_dict([1])
    with pytest.raises(ConfigError, match="unknown model config fields"):
        ModelConfig.from_dict({"latent": 3})


def test_the_largest_allowed_model_is_under_the_parameter_bound():
    config = ModelConfig(kind="vae", image_shape=(1, 28, 28), latent_dim=1024, hidden=(4096, 1024))
    assert parameter_count(config) <= MAX_PARAMETERS


def test_parse_sizes():
    assert parse_sizes("256, 128") == (256, 128) == parse_sizes("256 128")
    with pytest.raises(ConfigError, match="whole numbers"):
        parse_sizes("1e12")
    with pytest.raises(ConfigError, match="at least one"):
        parse_sizes("  ")
