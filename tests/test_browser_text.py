"""User text is text, in a real browser: the Latent space page's live map of a model whose class names are
hostile payloads (Plotly's own tags, a link, a script-running image, a right-to-left override, Streamlit
markdown), opened by a link whose split is a payload too (its warning does not echo it). No element or link
the app did not make may appear (no <a> to the payload's address, no element with the payload's style, no
image, no script run) and the legend and the hover caption show the names literally."""
from __future__ import annotations

import pytest
from waiting import wait_until
from lvm_app.harness import isolated_points, open_page, plotly_points, requires_chromium, wait_idle
from test_app_text import hostile_model_file

from lvm_core.text import clean

pytestmark = [pytest.mark.browser, requires_chromium]
TIMEOUT_MS = 90_000
READY = ".lvm-map-plot[data-ready='1']"
LINK_SPLIT = "[click](https://evil.example/link) :smile: :red[red] $x^2$ <b>bold</b>"
FOREIGN = """() => {
  const all = [...document.querySelectorAll('*')];
  const href = e => (e.getAttribute('href') || '') + (e.getAttribute('xlink:href') || '');
  return {
    links: all.filter(e => /evil\\.example|javascript:/i.test(href(e))).map(e => e.outerHTML.slice(0, 120)),
    styled: all.filter(e => /80px|color:\\s*red/i.test(e.getAttribute('style') || '')).map(e => e.tagName),
    images: [...document.querySelectorAll('img')].filter(i => /evil\\.example|^x$/.test(i.getAttribute('src')))
              .map(i => i.outerHTML.slice(0, 120)),
    bold: [...document.querySelectorAll('b, strong')].filter(e => e.textContent === 'bold').length,
    pwned: window.__pwned === 1,
    text: document.body.innerText,
  };
}"""
LEGEND = "() => [...document.querySelectorAll('.lvm-map-plot .legendtext')].map(e => e.textContent)"
CAPTION = "() => document.querySelector('.lvm-map-preview .lvm-map-caption').textContent"
CLASS_NAMES = ['<span style="font-size:80px;color:red">BIG</span>', '<a href="https://evil.example/x">click</a>',
               "<img src=x onerror=window.__pwned=1>", "[link](https://evil.example/md)", "javascript:alert(1)",
               '=HYPERLINK("https://evil.example","x")', "photo\u202egnp.exe", ":smile: :red[red] $x^2$",
               "<b>bold</b><script>window.__pwned=1</script>", "x" * 10_000]


def test_the_latent_map_shows_hostile_class_names_as_text(app_url, app_models_dir, browser_page):
    from checkpoint_craft import with_description

    path = hostile_model_file(app_models_dir)
    path.write_bytes(with_description(path.read_bytes(), lambda meta: meta.update(class_names=CLASS_NAMES)))
    page = browser_page
    link = f"?dataset=digits&model={path.stem}&method=pca&split={LINK_SPLIT}"   # Latent space: the default page
    def listed() -> bool:   # the app lists a new model on its next page (the folder changed): open until it does
        open_page(page, app_url, link)
        return "no longer exists" not in page.evaluate("() => document.body.innerText")

    wait_until(listed, 60, "the new model in the app's list", every=0.5)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    wait_idle(page)
    target = isolated_points(plotly_points(page), 1)[0]
    page.mouse.move(target["px"] - 15, target["py"] - 15)
    page.mouse.move(target["px"], target["py"], steps=3)
    page.wait_for_function("i => document.querySelector('.lvm-map-preview').dataset.index === String(i)",
                           arg=int(target["custom"]), timeout=10_000)

    found = page.evaluate(FOREIGN)
    assert found["links"] == [] and found["styled"] == [] and found["images"] == []
    assert found["bold"] == 0 and not found["pwned"]
    assert "\u202e" not in found["text"] and "😄" not in found["text"]
    legend = page.evaluate(LEGEND)
    assert sorted(legend) == sorted(clean(name) for name in CLASS_NAMES)    # literally, long names shortened
    label = target["curve"]      # one trace per class, in class order (every digit is in the test split)
    assert page.evaluate(CAPTION) == f"Point {int(target['custom'])} · class {clean(CLASS_NAMES[label])}"
    assert "The link's split" in found["text"] and "evil.example/link" not in found["text"]
