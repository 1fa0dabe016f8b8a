"""The hidden factors of an image: measured from pixels (measure), their directions in latent space,
rare styles and debiasing weights (density), one model's report."""
