"""What a trained model is good for, in numbers: metrics, likelihood, sample quality, anomalies,
denoising, latent features, the nonlinear-PCA sweep."""
