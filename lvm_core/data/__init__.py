"""Datasets as in-memory tensors: the built-in ones and their registry (datasets), your own images
(own), reading image folders and .npz files (image_files), pictures and grids (images)."""
