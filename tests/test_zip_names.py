"""The map download's zip entries are plain names: a checkpoint named '../../x' writes nothing outside
the folder it is unpacked in."""
from __future__ import annotations

import io
import zipfile

from lvm_core.maps.export import plain_name, zip_bytes


def test_zip_entries_stay_inside_their_folder_whatever_the_checkpoint_s_name():
    files = {"assets/map.js": b"0", "tensors.tsv": b"1", "../../evil.sh": b"2", "/etc/passwd": b"3"}
    data = zip_bytes(files, folder="../../up-test-map")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert names == ["up-test-map/assets/map.js", "up-test-map/tensors.tsv", "up-test-map/evil.sh",
                     "up-test-map/etc/passwd"]
    assert all(".." not in n and not n.startswith("/") for n in names)
    assert plain_name("..") == "map" and plain_name("my model-train-map") == "my model-train-map"
