"""Every session key the pages share and every URL field, declared once (as tensorflow/playground's
state.ts declares its URL fields): lvm_app.links reads and writes the address bar through URL_FIELDS, and
the pages and the sidebar name shared session keys by these constants, never by spelling them out.

A URL field is parsed strictly: ASCII only, bounded in length, by the one parser of its kind; a value that
fails is one warning (that never echoes it, but for a plain name) and the default view, never an exception.
"""
from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lvm_core.settings import SHIPPED_DIR

# --- session_state keys shared by the sidebar, the router and the pages -----------------------------------
DATASET = "dataset"
MODEL_PATH = "model_path"
SPLIT = "split"
SELECTED = "selected_index"        # the dataset index of the point selected on the map: every page uses it
SELECTION_OF = "selection_of"      # the (dataset, split) that point belongs to
MAP_METHOD, MAP_N, MAP_3D, MAP_COLOUR = "map_method", "map_n", "map_3d", "map_colour"   # the Latent space map
SLIDER_CODE = "slider_code"        # the code the sliders show now (written to the URL)
LINK_CODE = "link_code"            # a link's code, kept until Reset, Randomize or a new start
LINK_APPLIED = "link_applied"      # the session's link has been read (on its first run)
TOUR_STEP, PRESENTING = "tour_step", "presenting"   # lvm_app.tour, lvm_app.presenter
LINK_FOLDER = "link_folder"        # a link's ?from=, read with its model's name into MODEL_PATH (links.read_view)
OWNER = "train_owner"              # this browser session's id: the owner of the runs it starts (session_owner)

COLOURS = {"class": "class", "error": "reconstruction error", "dim": "one latent dimension"}  # URL -> widget
SPLITS = ("test", "train", "all")
METHODS = ("pca", "tsne", "umap", "raw")
FOLDERS = ("shipped", "user")   # where a linked model is: a user model may be named like a shipped one
MAX_CODE = 1024          # numbers a linked code may hold
MAX_FIELD_CHARS = 20_000  # a code of 1,024 numbers fits; anything longer is refused before it is split
_WHOLE = re.compile(r"[0-9]{1,9}")          # ASCII digits only: "²".isdigit() is True, int("²") raises
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
_PLAIN = re.compile(r"[A-Za-z0-9._-]{1,60}")


def session_owner(session) -> str:
    """This browser session's owner id (lvm_core.jobs.fairness), made on first use and kept across pages;
    a new browser session (a reload) is a new owner."""
    return session.setdefault(OWNER, uuid.uuid4().hex)


def plain(value: str) -> str:
    """A value to quote in a warning: itself when it is a plain name, else nothing (a link can come from
    anywhere, and the warning renders Markdown)."""
    return f" {value!r}" if _PLAIN.fullmatch(value) else ""


def whole_number(text: str) -> int:
    if not _WHOLE.fullmatch(text):
        raise ValueError("is not a whole number")
    return int(text)


def choice(options) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return text
    return parse


def switch(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("field is not 1 or 0")
    return text == "1"


def code(text: str) -> list[float]:
    numbers = text.split(",")
    if len(numbers) > MAX_CODE or not all(_NUMBER.fullmatch(n) for n in numbers):
        raise ValueError("is not a list of numbers")
    values = [float(n) for n in numbers]
    if not all(math.isfinite(v) and abs(v) < 1e6 for v in values):
        raise ValueError("is not a list of numbers")
    return values


def model_folder(path) -> str | None:
    """A model's ?from=: "user" outside the shipped folder; None for a shipped model (a link's default)."""
    return "user" if path and Path(str(path)).parent.resolve() != SHIPPED_DIR else None


@dataclass(frozen=True)
class UrlField:
    name: str                                   # the query parameter
    key: str                                    # the session key a link's value goes to
    parse: Callable[[str], Any]                 # text -> value; ValueError("is not ...") when it is not one
    show: Callable[[Any], str | None]           # the session's value -> text, None: not in the URL
    source: str = ""                            # the session key the URL shows, when not `key`
    then: str = "ignored"                       # what the warning says happens instead


URL_FIELDS = (
    UrlField("from", LINK_FOLDER, choice(FOLDERS), model_folder, source=MODEL_PATH,
             then="a model of that name is looked for among the shipped ones first"),
    UrlField("split", SPLIT, choice(SPLITS), lambda v: v if v in SPLITS else None),
    UrlField("method", MAP_METHOD, choice(METHODS), lambda v: v if v in METHODS else None),
    UrlField("n", MAP_N, whole_number, lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else None),
    UrlField("dims", MAP_3D, lambda t: choice(("2", "3"))(t) == "3", lambda v: None if v is None else "32"[not v]),
    UrlField("colour", MAP_COLOUR, lambda t: COLOURS[choice(tuple(COLOURS))(t)],
             lambda v: {w: k for k, w in COLOURS.items()}.get(v)),
    UrlField("point", SELECTED, whole_number, lambda v: None if v is None else str(int(v))),
    UrlField("code", LINK_CODE, code, lambda v: None if v is None else ",".join(f"{float(x):.4g}" for x in v),
             source=SLIDER_CODE),
    UrlField("present", PRESENTING, lambda t: switch(t), lambda v: "1" if v else None,
             then="presenter mode is left as it was"),
)
# Every URL field links.py reads and writes (sync_url removes the ones the session does not set): the table's,
# and three read with the server's lists (dataset, model, tour step). `from` is the table's, read before model.
FIELD_NAMES = ("dataset", "model", "tour", *(f.name for f in URL_FIELDS))


def read_fields(params, updates: dict, messages: list[str]) -> None:
    """The table's fields of a link into updates (session key -> value), one message per value refused."""
    for field in URL_FIELDS:
        if field.name not in params:
            continue
        text = params[field.name]
        try:   # the parsers accept ASCII only; an over-long value is refused by its own parser, unsplit
            updates[field.key] = field.parse(text if len(text) <= MAX_FIELD_CHARS else "\0")
        except ValueError as exc:
            messages.append(f"The link's {field.name} {exc}: {field.then}.")   # its value is never echoed


def show_fields(state) -> dict[str, str]:
    """The table's fields of a session's view as query parameters (those the session sets)."""
    out = {}
    for field in URL_FIELDS:
        text = field.show(state.get(field.source or field.key))
        if text is not None:
            out[field.name] = text
    return out
