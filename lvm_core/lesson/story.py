"""The tutorial's argument in steps: one sentence to read, one thing to look at, one question the view
answers. The app's Tour page and the static lesson (export-lesson) both read STEPS, so the story is
written once.

Each step names the app page that shows it (its URL path) and the live view the static lesson draws:
"map" (the test codes; hover a point for its original and reconstruction), "sliders" (one code, a
slider per dimension), "samples" (AE vs VAE random codes), "interpolate" (a path between two digits)
or "none" (text only: a page that needs the server).
"""
from __future__ import annotations

from dataclasses import dataclass

VIEWS = ("map", "sliders", "samples", "interpolate", "none")


@dataclass(frozen=True)
class Step:
    key: str        # stable id: the tour's ?tour= value
    title: str
    text: str       # one sentence: what this step shows
    look: str       # what to look at in the view
    question: str   # one question the view answers
    page: str       # the app page (URL path, no slash) whose view this step shows
    view: str       # the static lesson's live view, one of VIEWS


STEPS: tuple[Step, ...] = (
    Step("factors", "Hidden factors make the pixels",
         "A handwritten digit is 784 pixels, but a few hidden factors made them: which digit it is, the slant, "
         "the pen's thickness, the writer's style.",
         "Drag a slider and watch which of these factors changes in the image.",
         "How many numbers would you need to describe a digit, if not 784?",
         "sliders", "sliders"),
    Step("code", "An autoencoder squeezes an image into a code",
         "The encoder turns each image into a short code of numbers and the decoder draws the image back "
         "from that code alone.",
         "Hover a point: its original on the left, what the decoder drew from its code on the right.",
         "What detail of the original does the reconstruction lose?",
         "latent_space", "map"),
    Step("map", "The codes cluster by digit",
         "Nobody told the autoencoder the labels, yet codes of the same digit land near each other on the map.",
         "Look at the colours: each is one digit. Find where two colours touch.",
         "Which digits overlap on the map, and why those?",
         "latent_space", "map"),
    Step("sliders", "Each number of the code moves the image",
         "Moving one number of a code and decoding it shows what that dimension of the latent space stands for.",
         "Drag one slider at a time from its low end to its high end.",
         "Does any slider change the slant or the thickness without changing the digit?",
         "sliders", "sliders"),
    Step("pca", "An autoencoder is a nonlinear PCA",
         "A linear autoencoder learns the same subspace as PCA; with nonlinear layers the same number of "
         "dimensions reconstructs the images better.",
         "Compare the reconstruction error of PCA and of the autoencoder at each code size.",
         "At which code size does the autoencoder's advantage over PCA shrink?",
         "nonlinear_pca", "none"),
    Step("samples", "Random codes: mush from an AE, digits from a VAE",
         "Decode codes drawn at random from N(0, I): the autoencoder draws mush, the variational autoencoder "
         "draws digits.",
         "Press New samples a few times and compare the two grids.",
         "Why would random codes fall where the AE's decoder has never been trained?",
         "compare", "samples"),
    Step("why", "Why the VAE's space has no holes",
         "A VAE is trained to keep its codes close to N(0, I), so the path between two digits stays on "
         "digits, while an AE's path can cross empty space.",
         "Drag along the path from one digit to the other and watch the middle frames.",
         "Where on the path does the AE draw something that is no digit?",
         "interpolate", "interpolate"),
    Step("uses", "What the latent space is for",
         "A code that captures the hidden factors finds anomalies (images it cannot reconstruct), removes "
         "noise, gives a classifier better features, and can rebalance rare styles (debiasing).",
         "Open the Anomalies, Denoising, Latent features and Hidden factors pages from the app's menu.",
         "Which of these uses would you try on your own data first?",
         "anomalies", "none"),
)

STEP_KEYS = tuple(step.key for step in STEPS)


def step_index(key: str | None) -> int:
    """The position of a step by its key (a link's ?tour=), 0 for None or an unknown key."""
    return STEP_KEYS.index(key) if key in STEP_KEYS else 0
