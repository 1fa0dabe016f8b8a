"""lvm_core.settings: one table of LVM_* variables, one rule for folders, the only reader of os.environ."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from lvm_core import settings
from lvm_core.data.builtin import default_data_dir

ROOT = Path(__file__).resolve().parent.parent


def test_default_folders_are_in_the_project_whatever_the_current_folder(monkeypatch, tmp_path):
    for name in ("LVM_DATA_DIR", "LVM_MODELS_DIR", "LVM_CACHE_DIR", "LVM_DATASETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_data_dir() == ROOT / "data"
    assert settings.models_dir() == ROOT / "user_models"
    assert settings.cache_dir() == ROOT / ".cache"
    assert settings.datasets_file() == ROOT / "datasets.toml"


def test_a_variable_wins_and_an_argument_beats_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LVM_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("LVM_MAP_CACHE_MB", "2")
    assert default_data_dir() == tmp_path / "d"
    assert default_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert settings.map_cache_bytes() == 2 * 2 ** 20
    monkeypatch.setenv("LVM_LIVE_MAP", "0")
    assert not settings.enabled("LVM_LIVE_MAP") and settings.enabled("LVM_WARM_UP")


def test_no_other_module_reads_the_environment():
    readers = []
    for folder in ("lvm_core", "lvm_app", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            reads = re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text())
            if reads and path.name != "settings.py":
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


def test_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text()
    assert [name for name in settings.SETTINGS if f"`{name}`" not in readme] == []


def test_importing_the_engine_reads_no_dataset_declarations(tmp_path):
    # A broken datasets.toml must not break `import lvm_core`; the registry reads it on first use.
    (tmp_path / "broken.toml").write_text("[[[ not toml")
    code = ("import sys, lvm_core, lvm_core.data.datasets as d; "
            "print(d.DATASETS.problems())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"LVM_DATASETS": str(tmp_path / "broken.toml"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "is not a valid TOML file" in out.stdout
