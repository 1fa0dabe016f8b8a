"""User text is text: names made plain for Plotly/HTML, Streamlit markdown, CSV/TSV cells and file names."""
from __future__ import annotations

import csv
import io
import re

import pytest

from lvm_core.storage.files import csv_text
from lvm_core.text import WORD_JOINER, cell, clean, file_stem, markdown_plain, plain

# Names as a hostile checkpoint, folder of images or upload could carry them (tests/test_app_text.py shows
# each through the pages).
PAYLOADS = {
    "html": "<b>bold</b><script>alert(1)</script><img src=x onerror=alert(1)>",
    "plotly tag": '<span style="font-size:80px;color:red">BIG</span>',
    "link": '<a href="https://evil.example/x">click</a>',
    "markdown link": "[click me](https://evil.example/x) ![img](https://evil.example/pixel.png)",
    "javascript url": "javascript:alert(document.cookie)",
    "formula": '=HYPERLINK("https://evil.example","x")',
    "right to left": "photo\u202egnp.exe",
    "streamlit markdown": ":red[red] :material/home: :smile: $x^2$ **bold** # heading",
    "long": "x" * 10_000,
    "newlines": "one\ntwo\r\nthree\ttab\x1b[31m",
}


@pytest.mark.parametrize("name", PAYLOADS)
def test_clean_is_one_short_line_without_controls(name):
    text = clean(PAYLOADS[name])
    assert len(text) <= 80 and "\n" not in text and "\r" not in text and "\x1b" not in text
    assert "\u202e" not in text


def test_a_long_name_is_shortened_with_an_ellipsis():
    assert clean("x" * 10_000) == "x" * 79 + "…"
    assert clean("short") == "short"


@pytest.mark.parametrize("name", PAYLOADS)
def test_plain_makes_no_tag_and_no_script_url(name):
    text = plain(PAYLOADS[name], limit=200)
    assert "<" not in text and ">" not in text and '"' not in text
    assert "javascript:" not in text.lower()


def test_plain_keeps_ordinary_names_as_they_are():
    for name in ("MNIST", "fashion-mnist", "mnist-vae-mlp-32", "T-shirt/top", "digits (8x8)", "é ü ß 日本"):
        assert plain(name) == name


@pytest.mark.parametrize("name", PAYLOADS)
def test_markdown_plain_escapes_every_markdown_mark(name):
    text = markdown_plain(PAYLOADS[name], limit=200)
    unescaped = [text[i] for i in range(len(text)) if text[i] in "[]<>*_`#$|~&@"
                 and (i == 0 or text[i - 1] != "\\")]
    assert not unescaped, text
    # :smile:, :material/home:, :red[...] and https:// are broken by a word joiner after the colon
    assert not re.search(r":[A-Za-z/]", text), text


def test_markdown_plain_keeps_ordinary_names_and_messages_as_they_are():
    for text in ("fashion-mnist", "mnist-vae-mlp-32.safetensors", "VAE mlp z=8 on digits",
                 "x.safetensors: the file is empty or truncated (0 bytes)", "T-shirt/top", "digits (8x8)"):
        assert markdown_plain(text) == text
    assert markdown_plain("www.evil.example") == "www\\.evil\\.example"   # a bare link markdown would make
    assert [markdown_plain(t) for t in ("- item", "1. item", "> quote")] == ["\\- item", "1\\. item", "\\> quote"]
    assert markdown_plain(":smile:") == ":" + WORD_JOINER + "smile:"


def test_cell_guards_formulas_but_not_numbers():
    assert cell('=HYPERLINK("x")') == "'=HYPERLINK(\"x\")"
    assert [cell(v) for v in ("+1+1", "@SUM(A1)", "-cmd")] == ["'+1+1", "'@SUM(A1)", "'-cmd"]
    assert [cell(v) for v in ("-1.25", "+3", "1e-7", 7, -2.5)] == ["-1.25", "+3", "1e-7", 7, -2.5]
    assert cell("a\tb\nc") == "a b c"


def test_csv_text_is_one_row_per_record_whatever_the_names():
    text = csv_text(["index", "class"], [[0, PAYLOADS["newlines"]], [1, PAYLOADS["formula"]]])
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3 and rows[2][1].startswith("'=")


def test_file_stem_stays_in_its_folder():
    assert file_stem("../../etc/passwd") == "etc-passwd"
    assert file_stem("my run: 1") == "my-run-1"
    assert file_stem("\u202e", default="run") == "run"
    assert len(file_stem("x" * 500)) == 60
