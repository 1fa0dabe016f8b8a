"""Real browser (Debian chromium via Playwright) against a running app: the Latent Space page.

The app opens with no choices made (a shipped MNIST model when MNIST is here, else digits).
Clicking a plotted point shows that point (its index and class) with its reconstruction; a box
selection shows a gallery of exactly the points inside the box."""
import re

import numpy as np
import pytest

from lvm_app.harness import box_select, click_plotly_point, open_page, plotly_points, requires_chromium

pytestmark = [pytest.mark.browser, requires_chromium]
TIMEOUT_MS = 90_000


def open_map(page, app_url) -> list[dict]:
    open_page(page, app_url)
    page.get_by_role("heading", name="Latent space").wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    return plotly_points(page)


def isolated_point(points: list[dict]) -> dict:
    """The point farthest (on screen) from every other point among the inner 80% of the map: a click
    on it can only mean it."""
    from sklearn.neighbors import NearestNeighbors

    xy = np.array([[p["px"], p["py"]] for p in points])
    lo, hi = np.percentile(xy, 10, axis=0), np.percentile(xy, 90, axis=0)
    inner = np.flatnonzero(((xy > lo) & (xy < hi)).all(1))
    dist, _ = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy[inner])
    return points[inner[dist[:, 1].argmax()]]


def record_reruns(page) -> list:
    """Every rerun the page asks its server for, as Streamlit's ClientState, from now on (set before it opens)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    reruns = []

    def on_frame(payload):
        msg = BackMsg.FromString(payload if isinstance(payload, bytes) else payload.encode())
        if msg.WhichOneof("type") == "rerun_script":
            reruns.append(msg.rerun_script)
    page.on("websocket", lambda ws: ws.on("framesent", on_frame) if "/_stcore/stream" in ws.url else None)
    return reruns


def test_clicking_a_point_shows_that_point_and_its_reconstruction(app_url, browser_page):
    """...by rerunning only the map's fragment, not the page (nor the sidebar) around it."""
    page = browser_page
    reruns = record_reruns(page)
    points = open_map(page, app_url)
    before = len(reruns)
    assert len(points) >= 300
    target = isolated_point(points)
    index, name = int(target["custom"]), target["name"]
    click_plotly_point(page, target["x"], target["y"])
    shown = re.compile(rf"^Point {index} · class {re.escape(name)} ")
    heading = page.locator("[data-testid=stMarkdown]", has_text=shown)
    heading.wait_for(timeout=TIMEOUT_MS)
    assert "reconstruction error (MSE)" in heading.inner_text()
    for caption in ("original x", "reconstruction x̂", "|x − x̂|", "Nearest codes in latent space"):
        page.get_by_text(caption, exact=False).first.wait_for()
    # the images really arrived (decoded by the browser, not just their captions)
    page.wait_for_function("() => { const s = Array.from(document.querySelectorAll('[data-testid=stImage] img'))"
                           ".map(i => i.complete ? i.naturalWidth : 0); return s.length >= 4 && Math.min(...s) > 0; }",
                           timeout=TIMEOUT_MS)
    assert page.get_by_label("Point (index in the split)").input_value() == str(index)
    after = reruns[before:]
    assert after and all(r.fragment_id for r in after), "a click reruns the explorer fragment only"


def test_box_select_shows_a_gallery_of_the_points_inside(app_url, browser_page):
    page = browser_page
    points = open_map(page, app_url)
    xy = np.array([[p["x"], p["y"]] for p in points])
    centre = xy[len(xy) // 2]
    half = (np.percentile(xy, 95, axis=0) - np.percentile(xy, 5, axis=0)) * 0.06
    (x0, y0), (x1, y1) = centre - half, centre + half
    assert any(x0 <= p["x"] <= x1 and y0 <= p["y"] <= y1 for p in points), "the box should hold some points"
    box_select(page, (x0, y1), (x1, y0))
    summary = page.locator("[data-testid=stMarkdown]", has_text=re.compile(r"points? selected"))
    summary.wait_for(timeout=TIMEOUT_MS)
    # the box as the chart drew it (mouse pixels round the corners we asked for)
    box = page.evaluate("() => { const s = document.querySelectorAll('.js-plotly-plot')[0]._fullLayout.selections[0];"
                        " return [s.x0, s.x1, s.y0, s.y1]; }")
    (x0, x1), (y0, y1) = sorted(box[:2]), sorted(box[2:])
    inside = {int(p["custom"]) for p in points if x0 <= p["x"] <= x1 and y0 <= p["y"] <= y1}
    assert summary.inner_text().startswith(f"{len(inside):,} points selected")
    page.get_by_role("button", name="Download indices, labels and codes (CSV)").wait_for()
    page.locator("[data-testid=stImage] img").first.wait_for(timeout=TIMEOUT_MS)   # the gallery's rows


@pytest.mark.parametrize("url_path, heading", [("train", "Train a model"), ("sliders", "Latent sliders")])
def test_a_deep_link_on_a_fresh_server_opens_the_page_inside_the_router(tmp_path, chromium_browser, url_path,
                                                                        heading):
    """The first request a new server sees is /train: the page still has the shared sidebar and the app's
    navigation (with a folder named pages/, Streamlit would otherwise run that page by itself)."""
    from lvm_app.harness import AppServer

    env = {"LVM_WARM_UP": "0", "LVM_CACHE_DIR": str(tmp_path / "cache"), "LVM_MODELS_DIR": str(tmp_path / "models")}
    with AppServer(env=env, log_path=tmp_path / "streamlit.log") as server:
        page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_page(page, server.url, url_path, timeout_ms=TIMEOUT_MS)
            page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
            sidebar = page.locator("[data-testid=stSidebar]")
            sidebar.get_by_text("Model", exact=True).first.wait_for(timeout=TIMEOUT_MS)
            assert sidebar.get_by_text("Applications").count() >= 1   # the router's page groups
        finally:
            page.close()
