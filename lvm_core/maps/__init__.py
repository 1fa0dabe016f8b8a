"""Latent maps: the one PCA, map algorithms, trustworthiness, the map store, the browser's packed map,
exports for other tools, and a chart's selection -> dataset indices."""
