import pytest
import torch

from lvm_core import ModelConfig, build_model
from lvm_core.errors import NeedsLabels
from lvm_core.models import ARCHS, MODEL_KINDS, is_conditional, is_variational

SHAPES = [(1, 28, 28), (1, 8, 8)]
CASES = [(k, a, s) for k in MODEL_KINDS for a in ARCHS for s in SHAPES]


def make(kind, arch, shape, latent=4):
    hidden = (64,) if arch == "mlp" else (8, 16)
    torch.manual_seed(0)
    return build_model(ModelConfig(kind=kind, arch=arch, image_shape=shape, latent_dim=latent, hidden=hidden,
                                   n_classes=10 if is_conditional(kind) else 0))


def given(model, y: torch.Tensor) -> tuple:
    """The class argument a conditional model takes after x or z; nothing for the others."""
    return (y,) if is_conditional(model) else ()


@pytest.mark.parametrize("kind,arch,shape", CASES)
def test_shapes(kind, arch, shape):
    model = make(kind, arch, shape)
    x, y = torch.rand(5, *shape), torch.tensor([0, 3, 9, 3, 1])
    z = model.embed(x, *given(model, y))
    assert z.shape == (5, 4)
    out = model.decode(z, *given(model, y))
    assert out.shape == (5, *shape)
    assert out.min() >= 0 and out.max() <= 1
    assert torch.equal(model(x, *given(model, y)), out)
    if is_variational(model):
        mu, logvar = model.encode(x, *given(model, y))
        assert mu.shape == logvar.shape == (5, 4)
        assert torch.equal(mu, z)
        assert model.reparameterize(mu, logvar).shape == (5, 4)
    else:
        assert torch.equal(model.encode(x), z)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_the_class_reaches_both_halves_of_a_cvae(arch):
    model = make("cvae", arch, (1, 28, 28))
    x, z = torch.rand(2, 1, 28, 28), torch.zeros(2, 4)
    same, other = torch.tensor([2, 2]), torch.tensor([2, 7])
    assert torch.equal(model.embed(x, same)[0], model.embed(x, other)[0])
    assert not torch.allclose(model.embed(x, same)[1], model.embed(x, other)[1])      # q(z | x, y)
    assert not torch.allclose(model.decode(z, same)[1], model.decode(z, other)[1])    # p(x | z, y)
    one_hot = torch.nn.functional.one_hot(other, 10).float()                          # a float vector works too
    assert torch.equal(model.decode(z, one_hot), model.decode(z, other))
    with pytest.raises(NeedsLabels, match="class"):
        model.loss(x, x)


@pytest.mark.parametrize("kind,arch,shape", CASES)
def test_loss_falls_on_a_tiny_batch(kind, arch, shape, digits):
    model = make(kind, arch, shape)
    x = torch.nn.functional.interpolate(digits[0].images[:16], size=shape[1:], mode="bilinear")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    torch.manual_seed(1)
    losses = []
    extra = {"y": digits[0].labels[:16]} if is_conditional(model) else {}
    for _ in range(60):
        parts = model.loss(x, x, **extra)
        opt.zero_grad()
        parts["loss"].backward()
        opt.step()
        losses.append(parts["loss"].item())
    assert losses[-1] < 0.75 * losses[0]
    if is_variational(model):
        assert set(parts) == {"loss", "recon", "kl"}
        assert parts["kl"].item() >= 0
        assert parts["loss"].item() == pytest.approx(parts["recon"].item() + parts["kl"].item(), rel=1e-5)


def test_tutorial_shape_is_784_128_32():
    model = build_model(ModelConfig(kind="ae", arch="mlp"))
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 128), (128, 32), (32, 128), (128, 784)]


def test_vae_beta_weights_the_kl():
    torch.manual_seed(0)
    base = make("vae", "mlp", (1, 8, 8))
    heavy = build_model(ModelConfig(kind="vae", arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(64,),
                                    beta=4.0))
    heavy.load_state_dict(base.state_dict())
    x = torch.rand(8, 1, 8, 8)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a, b = base.loss(x, x, g()), heavy.loss(x, x, g())
    assert b["loss"].item() == pytest.approx(a["recon"].item() + 4 * a["kl"].item(), rel=1e-5)


@pytest.mark.parametrize("bad", [dict(kind="gan"), dict(arch="rnn"), dict(latent_dim=0),
                                 dict(arch="conv", image_shape=(1, 28, 28), hidden=(8, 16, 32)),
                                 dict(kind="cvae"), dict(kind="cvae", n_classes=-1), dict(kind="vae", n_classes=10),
                                 dict(kind="cvae", n_classes=10.5), dict(kind="cvae", n_classes=100_000)])
def test_bad_configs_are_refused(bad):
    with pytest.raises(ValueError):
        ModelConfig(**bad)


def test_parse_sizes():
    from lvm_core.config import parse_sizes

    assert parse_sizes("256, 128") == parse_sizes("256 128") == (256, 128)
    for bad in ("", "12a", "1.5"):
        with pytest.raises(ValueError):
            parse_sizes(bad)
