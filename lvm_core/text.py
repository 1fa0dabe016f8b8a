"""User text is text. A class name, dataset name, model name, run name or file name came from a file or a
form (a checkpoint's description, a folder of images, an upload's name), so wherever it is shown it is
made into plain text for that place, by one of these:

    clean(text)           one line: control characters -> spaces, bidi controls removed, shortened with "…"
    plain(text)           for Plotly (trace names, legends, hover text, titles: it renders a subset of HTML)
                          and HTML: & < > " ' as entities, so no tag or link forms; `javascript:` broken
    markdown_plain(text)  for Streamlit markdown (st.markdown, captions, st.error, labels): each mark that
                          could start markdown backslash-escaped, so no link, image, emphasis, :red[colour],
                          :emoji: shortcode or $math$ forms, and no bare URL is linked
    cell(value)           a CSV / TSV cell: clean, and a text starting = + - @ guarded with a ' (a formula)
    file_stem(text)       a file or folder name: letters, digits, '.', '_' and '-' only

A name over `limit` characters is shortened with an ellipsis (a 10 kB class name must not push a legend off
the screen). Browser code shows text with textContent, which needs only clean().
"""
from __future__ import annotations

import html
import re
import unicodedata

LIMIT = 80                      # characters of a name where it is shown (legends, captions, cells)
MESSAGE_LIMIT = 600             # an error message (it may quote a path or two): never a screenful
# Bidirectional controls reorder what follows them ("exe.txt" shown as "txt.exe"): removed.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_JOINERS = frozenset("\u200c\u200d")       # format characters some scripts and emoji sequences need
_SCHEMES = re.compile(r"(javascript|vbscript|data)(\s*):", re.IGNORECASE)
WORD_JOINER = "\u2060"
_MARKDOWN_ALWAYS = frozenset("\\`*_~[]<>&$#|@{}")
_LINE_START = re.compile(r"^\s*(?:[-+>=]|[0-9]+[.)])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(text, limit: int = LIMIT) -> str:
    """str(text) as one line of visible characters, at most `limit` long (the last one "…" when shortened)."""
    text = str(text)[:limit * 4 + 16]       # never walk a megabyte to show 80 characters
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):              # newlines, tabs, escape sequences, line separators
            out.append(" ")
        elif category == "Cs":                          # a lone surrogate: not text
            out.append("\ufffd")
        elif ch in BIDI_CONTROLS or (category == "Cf" and ch not in _JOINERS):
            continue                                    # invisible format characters (zero widths, bidi)
        else:
            out.append(ch)
    line = "".join(out)
    return line if len(line) <= limit else line[:max(limit - 1, 0)] + "…"


def plain(text, limit: int = LIMIT) -> str:
    """clean(text) for a sink that renders HTML (Plotly's trace names, legends, hover text, titles; an HTML
    page): every & < > " ' an entity, which Plotly and browsers show as the character itself (quotes as
    numbers: plotly.js decodes numeric entities and only a few named ones, not &quot;)."""
    text = html.escape(clean(text, limit), quote=False).replace('"', "&#34;").replace("'", "&#39;")
    return _SCHEMES.sub(r"\1\2&#58;", text)


def markdown_plain(text, limit: int = LIMIT) -> str:
    """clean(text) for Streamlit markdown (st.markdown, captions, st.error, widget and image captions): every
    mark that can start markdown on one line backslash-escaped (CommonMark), so the text shows as typed and
    makes no link, image, emphasis, code, colour (:red[...]), icon or emoji (:name:), math ($), HTML, bare
    link (https://..., www..., a@b.c) and, at its start, no heading, list or quote. Ordinary names and
    messages read the same in the source ("VAE mlp z=8 on digits", "x.safetensors: the file is empty")."""
    line = clean(text, limit)
    www = "www." in line.lower()
    out = []
    for i, ch in enumerate(line):
        after = line[i + 1:i + 2]
        if ch in _MARKDOWN_ALWAYS or (ch == "." and www):
            out.append("\\" + ch)
        elif ch == ":" and (after.isalpha() or after == "/"):
            # Emoji (:smile:) and icons (:material/home:) are replaced in the parsed text, where an escape is
            # gone: an invisible word joiner after the colon breaks them, and :red[...] and https:// too.
            out.append(":" + WORD_JOINER)
        else:
            out.append(ch)
    escaped = "".join(out)
    start = _LINE_START.match(escaped)      # "- x", "+ x", "> x", "1. x", "1) x" would be a list or a quote
    return escaped[:start.end() - 1] + "\\" + escaped[start.end() - 1:] if start else escaped


def cell(value, limit: int = 1000):
    """A CSV or TSV cell: numbers as they are (a number written as text too: "-1.25"); other text clean (no
    tab or newline can add a column or a row) and, when it starts with = + - or @, prefixed with ' so a
    spreadsheet shows it instead of running it."""
    if not isinstance(value, str):
        return value
    text = clean(value, limit)
    return "'" + text if text.startswith(_FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def file_stem(text, limit: int = 60, default: str = "model") -> str:
    """A file or folder name from a user's name: letters, digits, '.', '_' and '-' only (no '/' or '..'),
    at most `limit` long."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(text).strip()).strip("-.")[:limit].strip("-.")
    return stem or default
