"""The static lesson's page and code: everything in its folder but the data (export.py makes that).

The browser code is the app's own, read as files from lvm_app/components/ (lvm_core never imports
lvm_app, which imports Streamlit): decoder/decoder.js, latent_map/frontend/map.js and its plotly.js
bundle, decoder/sliders.js and decoder/scrubber.js; the lesson's own page is in
lvm_app/components/lesson/ (index.html, lesson.js, lesson.css, samples.js), beside the code it mounts.

Chromium runs no ES module from file://, so every script is a classic <script src>. sliders.js and
scrubber.js end in `export default function (component)` (the app joins them to decoder.js as modules);
here that one line becomes an entry of the global registry LvmViews, and nothing else changes.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from string import Template

from lvm_core.errors import LvmError
from lvm_core.lesson.story import Step

COMPONENTS_DIR = Path(__file__).resolve().parents[2] / "lvm_app" / "components"
EXPORT_DEFAULT = "export default function"
# (name in the folder, file under COMPONENTS_DIR, LvmViews entry its `export default` becomes, or None),
# in <script> order: plotly and the decoder before the code that uses them.
SCRIPTS = (
    ("assets/plotly-gl2d.min.js", "latent_map/frontend/vendor/plotly-gl2d.min.js", None),
    ("assets/decoder.js", "decoder/decoder.js", None),
    ("assets/map.js", "latent_map/frontend/map.js", None),
    ("assets/sliders.js", "decoder/sliders.js", "sliders"),
    ("assets/scrubber.js", "decoder/scrubber.js", "scrubber"),
    ("assets/samples.js", "lesson/samples.js", None),
)
DATA_SCRIPTS = ("data/lesson-data.js", "data/map-data.js")    # written by export.py
MAIN_SCRIPT = ("assets/lesson.js", "lesson/lesson.js")        # last: it reads everything above
STYLES = (("assets/map.css", "latent_map/frontend/style.css"), ("assets/live.css", "decoder/live.css"),
          ("assets/lesson.css", "lesson/lesson.css"))
TEMPLATE = "lesson/index.html"
VIEW_SECTIONS = ("map", "sliders", "samples", "interpolate")   # story.VIEWS but "none"
_MODULE_LINE = re.compile(r"^\s*(import|export)\b", re.MULTILINE)


class AssetError(LvmError):
    """A file of the app's browser code that the lesson cannot use as it is (a changed component)."""


def as_classic_script(source: str, view: str, name: str = "component") -> str:
    """A component's module source as a classic script: its one `export default function` line (the line
    must start with it) becomes `(globalThis.LvmViews ||= {})[view] = function`. Raises AssetError for
    none or several such lines, and for any other import or export left (a classic script cannot run it)."""
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.startswith(EXPORT_DEFAULT)]
    if len(hits) != 1:
        raise AssetError(f"{name}: {len(hits)} lines start with '{EXPORT_DEFAULT}' (the lesson needs exactly one)")
    lines[hits[0]] = lines[hits[0]].replace(
        EXPORT_DEFAULT, f'(globalThis.LvmViews = globalThis.LvmViews || {{}})["{view}"] = function', 1)
    script = "".join(lines)
    if _MODULE_LINE.search(script):
        raise AssetError(f"{name}: an import or export besides '{EXPORT_DEFAULT}' (a classic script cannot run it)")
    return script


def code_files() -> dict[str, bytes]:
    """The scripts and styles, by their names in the folder."""
    files = {}
    for target, source, view in SCRIPTS:
        path = COMPONENTS_DIR / source
        files[target] = as_classic_script(path.read_text(), view, source).encode() if view else path.read_bytes()
    for target, source in (MAIN_SCRIPT, *STYLES):
        files[target] = (COMPONENTS_DIR / source).read_bytes()
    return files


def _step_html(number: int, total: int, step: Step) -> str:
    e = html.escape
    app_only = (f'\n      <p class="app-only">This step\'s view needs the app: <code>make run</code>, then its '
                f'<b>{e(step.page.replace("_", " "))}</b> page.</p>' if step.view == "none" else "")
    return (f'    <article class="step" id="step-{e(step.key)}" data-key="{e(step.key)}" data-view="{e(step.view)}">\n'
            f'      <p class="number">Step {number} of {total}</p>\n      <h2>{e(step.title)}</h2>\n'
            f'      <p class="text">{e(step.text)}</p>\n      <p class="look">{e(step.look)}</p>\n'
            f'      <p class="question">{e(step.question)}</p>{app_only}\n    </article>')


def index_html(steps: tuple[Step, ...], title: str, models: str, captions: dict[str, str]) -> bytes:
    """The page: the steps' text (readable without JavaScript), one section per view (captions: view ->
    one line), and the folder's styles and scripts in order."""
    e = html.escape
    scripts = [target for target, _, _ in SCRIPTS] + list(DATA_SCRIPTS) + [MAIN_SCRIPT[0]]
    views = "\n".join(
        f'  <section class="view" data-view="{view}">\n    <p class="caption">{e(captions.get(view, ""))}</p>\n'
        + ('    <div class="lvm-map"></div>\n' if view == "map" else '    <div class="mount"></div>\n')
        + "  </section>" for view in VIEW_SECTIONS)
    page = Template((COMPONENTS_DIR / TEMPLATE).read_text()).substitute(
        title=e(title), models=e(models),
        toc="".join(f'<button type="button">{i}. {e(s.title)}</button>' for i, s in enumerate(steps, 1)),
        steps="\n".join(_step_html(i, len(steps), s) for i, s in enumerate(steps, 1)), views=views,
        styles="\n".join(f'<link rel="stylesheet" href="{target}">' for target, _ in STYLES),
        scripts="\n".join(f'<script src="{name}"></script>' for name in scripts))
    return page.encode()
