"""Map export: Embedding Projector files and a Parquet table, read back; sprite cell i is image i."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from lvm_core.data.images import to_uint8
from lvm_core.maps.export import SPRITE_MAX_SIDE, map_files, metadata_tsv, sprite, zip_bytes


def test_metadata_has_a_header_only_with_several_columns():
    assert metadata_tsv({"label": [1, 2]}) == "1\n2\n"
    assert metadata_tsv({"label": [1, 2], "class": ["a\tb", "c"]}) == "label\tclass\n1\ta b\n2\tc\n"


@pytest.mark.parametrize("channels", [1, 3])
def test_sprite_cell_i_is_image_i_in_a_padded_square(channels):
    images = torch.rand(11, channels, 6, 6)
    grid, cell = sprite(images)
    assert cell == 6 and grid.shape[:2] == (24, 24)          # ceil(sqrt(11)) = 4 cells a side
    for i in range(11):
        r, c = divmod(i, 4)
        expected = to_uint8(images[i].permute(1, 2, 0).numpy())
        np.testing.assert_array_equal(grid[r * 6:(r + 1) * 6, c * 6:(c + 1) * 6].reshape(expected.shape), expected)
    assert not grid[18:, 18:].any()                          # cells after the last image are blank


def test_a_big_sprite_shrinks_its_cells_to_fit_the_projector():
    grid, cell = sprite(torch.rand(400, 1, 500, 500))
    assert grid.shape[0] <= SPRITE_MAX_SIDE and cell == SPRITE_MAX_SIDE // 20


def read_files(files: dict[str, bytes]):
    codes = np.loadtxt(io.StringIO(files["tensors.tsv"].decode()), delimiter="\t", ndmin=2)
    meta = pd.read_csv(io.BytesIO(files["metadata.tsv"]), sep="\t")
    table = pd.read_parquet(io.BytesIO(files["map.parquet"]))
    config = json.loads(files["projector_config.json"])
    return codes, meta, table, config, np.asarray(Image.open(io.BytesIO(files["sprite.png"])))


def test_map_files_line_up_row_by_row():
    rng = np.random.default_rng(0)
    n = 7
    codes, images = rng.standard_normal((n, 3)).astype(np.float32), torch.rand(n, 1, 5, 5)
    labels, errors, embedding = np.array([0, 1, 2, 0, 1, 2, 0]), rng.random(n), rng.standard_normal((n, 2))
    indices = np.array([3, 8, 9, 12, 20, 21, 40])
    files = map_files(codes, labels, ("zero", "one", "two"), errors, embedding, indices, images, name="m")
    got, meta, table, config, png = read_files(files)
    np.testing.assert_allclose(got, codes, rtol=1e-5)
    assert list(meta.columns) == ["index", "label", "class", "error"] and meta["index"].tolist() == indices.tolist()
    assert meta["class"].tolist() == ["zero", "one", "two", "zero", "one", "two", "zero"]
    assert list(table.columns) == ["index", "label", "class", "error", "x", "y", "z0", "z1", "z2"]
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), embedding, rtol=1e-6)
    np.testing.assert_allclose(table[["z0", "z1", "z2"]].to_numpy(), codes, rtol=1e-6)
    (emb,) = config["embeddings"]
    assert emb["tensorShape"] == [7, 3] and emb["tensorPath"] == "tensors.tsv"
    assert emb["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [5, 5]}
    np.testing.assert_array_equal(png[5:10, 0:5], to_uint8(images[3, 0].numpy()))   # cell 3: row 1, column 0
    with zipfile.ZipFile(io.BytesIO(zip_bytes(files, "m-map"))) as z:
        assert sorted(z.namelist()) == sorted(f"m-map/{k}" for k in files)


def test_cli_export_map_of_a_digits_model(tmp_path, digits, capsys):
    from lvm_core import ModelConfig, TrainConfig, build_model, fit, save_checkpoint
    from lvm_core.cli.main import main

    train, test = digits
    model = build_model(ModelConfig(kind="ae", image_shape=(1, 8, 8), latent_dim=3, hidden=(16,)), seed=0)
    fit(model, train.images, TrainConfig(epochs=1, batch_size=128, device="cpu"))
    ckpt = save_checkpoint(tmp_path / "ae.safetensors", model.eval(), dataset="digits",
                           class_names=train.class_names, name="ae")
    out = tmp_path / "export"
    assert main(["export-map", str(ckpt), "--split", "test", "--n", "50", "--out", str(out)]) == 0
    assert "wrote 50 points" in capsys.readouterr().out
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    codes, meta, table, config, png = read_files(files)
    assert len(codes) == len(meta) == len(table) == 50 and codes.shape[1] == 3
    for row in (0, 17, 49):   # the sprite's cell for row i is the image of the split at index[i]
        i = int(meta["index"][row])
        r, c = divmod(row, 8)
        np.testing.assert_array_equal(png[r * 8:(r + 1) * 8, c * 8:(c + 1) * 8], to_uint8(test.images[i, 0].numpy()))
        assert int(meta["label"][row]) == int(test.labels[i]) == int(table["label"][row])
    from lvm_core.generation.inference import encode

    np.testing.assert_allclose(codes, encode(model, test.images[table["index"].to_numpy().copy()]),
                               rtol=1e-4, atol=1e-5)
    assert main(["export-map", str(ckpt), "--method", "raw", "--out", str(out)]) == 2


def test_latent_space_page_offers_the_map_download():
    from conftest import open_page
    from lvm_core.storage.catalog import SHIPPED_DIR

    path = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"
    if not path.exists():
        pytest.skip("digits-vae-mlp-8 not shipped")
    at = open_page("pages/latent_space.py", model_path=str(path), map_n=1_000, map_method="pca")
    labels = [b.label for b in at.get("download_button")]
    assert "Download this map (Embedding Projector, Parquet)" in labels
