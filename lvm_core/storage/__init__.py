"""Files on disk: checkpoints (safe load/save), the catalog of model folders, and every file write."""
