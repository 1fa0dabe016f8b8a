// LVM Explorer's latent map: plotly.js (gl2d partial bundle) plus a preview panel. Hovering shows a
// point's original and reconstruction from the packed map (lvm_core/map_payload.py) with no server; on
// invertible maps (raw 2-d plane, PCA) hovering empty space decodes that spot with LvmDecoder
// (decoder/decoder.js, loaded first). Clicks and box/lasso selections go to component.setTriggerValue
// as one trigger value "select", shaped like st.plotly_chart's selection event.
//
// A plain script (no import/export), like decoder.js, so the app's component (index.js, an ES module that
// imports this file) and the static lesson (lvm_core/lesson, a classic <script src> from file://) run the
// same code. It defines one global, LvmLatentMap:
//   LvmLatentMap.unpack(bytes) -> Promise of {header, arrays}   bytes: a packed map (Uint8Array)
//   LvmLatentMap.headerOf(bytes) -> header                      the JSON part only, without inflating
//   new LvmLatentMap.LatentMap(root, packed, component)         component: {setTriggerValue}
//     map.draw(view, plotlyUrl)  map.applyView(view)  map.dispose()
//   LvmLatentMap.loadPlotly(url) -> Promise of window.Plotly     (loads url once, unless already present)
(function () {
  "use strict";
  if (globalThis.LvmLatentMap) return;         // loaded twice (module import and script tag): keep the first

  let plotlyPromise = null;

  function loadPlotly(url) {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyPromise) {
      plotlyPromise = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.onload = () => resolve(window.Plotly);
        script.onerror = () => reject(new Error("could not load " + url));
        document.head.appendChild(script);
      });
    }
    return plotlyPromise;
  }

  async function unpack(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = String.fromCharCode(...bytes.subarray(0, 4));
    if (magic !== "LVMP") throw new Error("not a packed map");
    const length = view.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    const stream = new Blob([bytes.subarray(8 + length)]).stream().pipeThrough(new DecompressionStream("deflate"));
    const body = await new Response(stream).arrayBuffer();
    const types = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array };
    const arrays = {};
    for (const s of header.sections) {
      const count = s.shape.reduce((a, b) => a * b, 1);
      arrays[s.name] = new types[s.dtype](body, s.offset, count);
    }
    return { header, arrays };
  }

  const PREVIEW_HTML = `
    <div class="lvm-map-row">
      <div class="lvm-map-plot"><canvas class="lvm-map-sketch"></canvas></div>
      <div class="lvm-map-preview" data-kind="none">
        <div class="lvm-map-caption">Hover the map</div>
        <figure><canvas class="lvm-original"></canvas><figcaption>original</figcaption></figure>
        <figure><canvas class="lvm-recon"></canvas><figcaption>reconstruction</figcaption></figure>
        <div class="lvm-map-note"></div>
      </div>
    </div>`;

  function drawImage(canvas, pixels, h, w, channels) {
    // pixels: h*w*channels uint8 values in H-W-C order (grey: channels 1)
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      for (let c = 0; c < 3; c++) image.data[4 * i + c] = pixels[i * channels + (channels === 3 ? c : 0)];
      image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  }

  class LatentMap {
    constructor(root, packed, component) {
      this.root = root;
      this.header = packed.header;
      this.a = packed.arrays;
      this.component = component;
      this.n = this.header.n;
      root.innerHTML = PREVIEW_HTML;
      this.plotDiv = root.querySelector(".lvm-map-plot");
      this.preview = root.querySelector(".lvm-map-preview");
      this.height = Math.max(280, Math.min(this.header.max_height || 640,
        window.innerHeight - root.getBoundingClientRect().top - 24));
      this.plotDiv.style.height = this.height + "px";
      this.sketch();
    }

    // A placeholder drawn at once from the payload (a few ms) while plotly.js loads.
    sketch() {
      const canvas = this.root.querySelector(".lvm-map-sketch");
      const width = this.plotDiv.clientWidth || 600;
      canvas.width = width;
      canvas.height = this.height;
      const ctx = canvas.getContext("2d");
      const xy = this.a.xy;
      let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = 0; i < this.n; i++) {
        x0 = Math.min(x0, xy[2 * i]); x1 = Math.max(x1, xy[2 * i]);
        y0 = Math.min(y0, xy[2 * i + 1]); y1 = Math.max(y1, xy[2 * i + 1]);
      }
      const s = Math.min((width - 40) / (x1 - x0 || 1), (this.height - 40) / (y1 - y0 || 1));
      const colours = this.header.class_colours;
      for (let i = 0; i < this.n; i++) {
        ctx.fillStyle = colours[this.a.labels[i] % colours.length];
        ctx.fillRect(width / 2 + (xy[2 * i] - (x0 + x1) / 2) * s, this.height / 2 - (xy[2 * i + 1] - (y0 + y1) / 2) * s, 2, 2);
      }
    }

    traces(view) {
      const classes = [...new Set(this.a.labels)].sort((a, b) => a - b);
      const colourValues = view && view.by === "error" ? this.a.errors
        : view && view.by === "dim" ? Float32Array.from({ length: this.n }, (_, i) => this.a.codes[i * this.header.latent_dim + view.dim])
        : null;
      this.rowsOfTrace = [];
      return classes.map((c) => {
        const rows = [];
        for (let i = 0; i < this.n; i++) if (this.a.labels[i] === c) rows.push(i);
        this.rowsOfTrace.push(Int32Array.from(rows));
        const marker = { size: this.header.marker_size, opacity: 0.8 };
        if (colourValues) Object.assign(marker, { color: rows.map((i) => colourValues[i]), coloraxis: "coloraxis" });
        else marker.color = this.header.class_colours[c % this.header.class_colours.length];
        return {
          type: "scattergl", mode: "markers", name: this.header.class_labels[c] ?? String(c), marker,
          x: rows.map((i) => this.a.xy[2 * i]), y: rows.map((i) => this.a.xy[2 * i + 1]),
          customdata: rows.map((i) => this.a.indices[i]), hoverinfo: "none",
        };
      });
    }

    layout(view) {
      const layout = {
        height: this.height, margin: { l: 10, r: 10, t: 28, b: 6 }, dragmode: "pan", hovermode: false,
        uirevision: this.header.digest, legend: { title: { text: "class" }, itemsizing: "constant" },
        showlegend: !(view && view.by !== "class"),
        xaxis: { showticklabels: false, title: null, zeroline: false },
        yaxis: { showticklabels: false, title: null, scaleanchor: "x", scaleratio: 1, zeroline: false },
        shapes: this.marker(view ? view.selected : null),
      };
      if (view && view.by !== "class") {
        layout.coloraxis = { colorscale: view.scale, cmin: view.cmin, cmax: view.cmax, colorbar: { title: { text: view.title } } };
      }
      return layout;
    }

    // A ring around the selected point that stays when the mouse leaves: a layout shape, so it is no
    // trace (selections and legend clicks ignore it) and keeps its pixel size when zooming.
    marker(index) {
      const row = index == null ? -1 : this.rowOf(index);
      if (row < 0) return [];
      const ring = (r, colour, width) => ({
        type: "circle", xref: "x", yref: "y", xsizemode: "pixel", ysizemode: "pixel",
        xanchor: this.a.xy[2 * row], yanchor: this.a.xy[2 * row + 1], x0: -r, x1: r, y0: -r, y1: r,
        line: { color: colour, width },
      });
      return [ring(11, "white", 5), ring(11, "#111", 2.5)];
    }

    rowOf(index) {
      if (!this.rowByIndex) {
        this.rowByIndex = new Map();
        for (let i = 0; i < this.n; i++) this.rowByIndex.set(this.a.indices[i], i);
      }
      return this.rowByIndex.has(index) ? this.rowByIndex.get(index) : -1;
    }

    // plotlyUrl: where to load plotly.js from when the page has not loaded it (window.Plotly) already.
    async draw(view, plotlyUrl) {
      this.Plotly = await loadPlotly(plotlyUrl);
      this.root.querySelector(".lvm-map-sketch").remove();
      this.gd = document.createElement("div");
      this.plotDiv.appendChild(this.gd);
      await this.Plotly.newPlot(this.gd, this.traces(view), this.layout(view),
        { scrollZoom: true, displaylogo: false, responsive: true });
      this.view = view;
      this.gd.on("plotly_afterplot", () => { this.pixels = null; });
      this.gd.on("plotly_selected", (e) => this.selected(e));
      this.gd.on("plotly_deselect", () => this.send({ points: [], box: [], lasso: [] }));
      this.listen();
      this.plotDiv.dataset.method = this.header.method;
      this.plotDiv.dataset.ready = "1";
    }

    async applyView(view) {
      if (!this.gd || JSON.stringify(view) === JSON.stringify(this.view)) return;
      const old = this.view || {};
      this.view = view;
      if (old.by !== view.by || old.dim !== view.dim || old.cmin !== view.cmin) {
        await this.Plotly.react(this.gd, this.traces(view), this.layout(view));
      } else {
        await this.Plotly.relayout(this.gd, { shapes: this.marker(view.selected) });
      }
      if (this.preview.dataset.kind === "none" || this.preview.dataset.kind === "selected") this.showSelected();
    }

    // Pixels of every point in the plotting area, recomputed after each redraw (zoom, pan, legend clicks).
    // Relative to the plotting area, so scrolling the page (which moves the map) needs no recomputation.
    screen() {
      if (this.pixels) return this.pixels;
      const L = this.gd._fullLayout;
      const px = new Float32Array(this.n).fill(NaN), py = new Float32Array(this.n).fill(NaN);
      this.gd._fullData.forEach((t, c) => {
        if (t.visible !== true || !this.rowsOfTrace[c]) return;
        for (const row of this.rowsOfTrace[c]) {
          px[row] = L.xaxis.l2p(this.a.xy[2 * row]);
          py[row] = L.yaxis.l2p(this.a.xy[2 * row + 1]);
        }
      });
      this.pixels = { px, py };
      return this.pixels;
    }

    // A client (viewport) pixel -> [u, v] in the plotting area.
    local(x, y) {
      const box = this.gd.getBoundingClientRect(), L = this.gd._fullLayout;
      return [x - box.left - L._size.l, y - box.top - L._size.t];
    }

    nearest(x, y) {
      const { px, py } = this.screen(), [u, v] = this.local(x, y);
      let best = -1, bestD = Infinity;
      for (let i = 0; i < this.n; i++) {
        const d = (px[i] - u) ** 2 + (py[i] - v) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      }
      return { row: best, distance: Math.sqrt(bestD) };
    }

    // A client pixel -> data coordinates, or null outside the plotting area.
    dataAt(x, y) {
      const L = this.gd._fullLayout, [u, v] = this.local(x, y);
      if (u < 0 || v < 0 || u > L._size.w || v > L._size.h) return null;
      return [L.xaxis.p2l(u), L.yaxis.p2l(v)];
    }

    listen() {
      const radius = Math.max(6, 1.5 * this.header.marker_size);
      let pending = null, down = null;
      const onMove = (e) => {
        if (e.buttons) return;
        pending = [e.clientX, e.clientY];
        if (this.frame) return;
        this.frame = requestAnimationFrame(() => { this.frame = 0; this.hover(...pending, radius); });
      };
      // Only a press on the plotting area itself (plotly's drag layer) can be a click on a point: not the
      // toolbar, the legend or the colour bar, which sit over the plot too.
      const onDown = (e) => { down = e.target.classList && e.target.classList.contains("nsewdrag") ? [e.clientX, e.clientY] : null; };
      const onUp = (e) => {
        if (!down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) { down = null; return; }
        down = null;
        if (!["pan", "zoom"].includes(this.gd._fullLayout.dragmode) || !this.dataAt(e.clientX, e.clientY)) return;
        const hit = this.nearest(e.clientX, e.clientY);
        if (hit.row >= 0 && hit.distance <= radius) this.click(hit.row);
      };
      this.gd.addEventListener("mousemove", onMove);
      this.gd.addEventListener("mouseleave", () => this.showSelected());
      this.gd.addEventListener("mousedown", onDown, true);
      window.addEventListener("mouseup", onUp, true);
      this.stopListening = () => window.removeEventListener("mouseup", onUp, true);
    }

    hover(x, y, radius) {
      const spot = this.dataAt(x, y);
      if (!spot) return;
      const hit = this.nearest(x, y);
      if (hit.row >= 0 && hit.distance <= radius) return this.showPoint(hit.row, "point");
      if (this.header.invertible && this.decode(spot)) return;
      if (hit.row >= 0) this.showPoint(hit.row, "nearest");
    }

    // With the mouse off the map, the preview shows the selected point (if any).
    showSelected() {
      const row = this.view && this.view.selected != null ? this.rowOf(this.view.selected) : -1;
      if (row >= 0) this.showPoint(row, "selected");
    }

    showPoint(row, kind) {
      const { height: h, width: w, channels } = this.header, size = h * w * channels;
      const index = this.a.indices[row], label = this.a.labels[row];
      const name = this.header.class_names[label] ?? String(label);
      drawImage(this.preview.querySelector(".lvm-original"), this.a.originals.subarray(row * size, (row + 1) * size), h, w, channels);
      drawImage(this.preview.querySelector(".lvm-recon"), this.a.recons.subarray(row * size, (row + 1) * size), h, w, channels);
      const what = { nearest: "Nearest point", selected: "Selected point", point: "Point" }[kind];
      this.preview.querySelector(".lvm-map-caption").textContent = `${what} ${index} · class ${name}`;
      this.preview.querySelector(".lvm-map-note").textContent = kind === "nearest"
        ? `${this.header.method_name} has no inverse: an empty spot shows the nearest point.` : "";
      this.shown({ kind, index, row });
    }

    // Decode the code under an empty spot: z = mean + [x, y] @ components, with the model's decoder
    // (sent once per model per session through the view mount); without one, false. A conditional decoder
    // (a CVAE's) draws a class an empty spot does not have: false too (the nearest point shows instead).
    decode(spot) {
      const decoder = LvmDecoder.cached(this.header.model_digest);
      if (!decoder || decoder.nClasses) return false;
      const d = this.header.latent_dim, mean = this.a.mean, comp = this.a.components;
      const z = new Float32Array(d);
      for (let j = 0; j < d; j++) z[j] = mean[j] + spot[0] * comp[j] + spot[1] * comp[d + j];
      const original = this.preview.querySelector(".lvm-original");
      original.getContext("2d").clearRect(0, 0, original.width, original.height);
      LvmDecoder.draw(this.preview.querySelector(".lvm-recon"), decoder.decode(z), decoder.imageShape);
      this.preview.querySelector(".lvm-map-caption").textContent = "Decoded here: a code no image has";
      this.preview.querySelector(".lvm-map-note").textContent =
        `z = (${Array.from(z.slice(0, 4), (v) => v.toFixed(2)).join(", ")}${d > 4 ? ", …" : ""})`;
      this.shown({ kind: "decoded", z: Array.from(z) });
      return true;
    }

    shown(info) {
      const p = this.preview;
      p.dataset.kind = info.kind;
      p.dataset.index = info.index ?? "";
      p.dataset.z = info.z ? JSON.stringify(info.z) : "";
      p.dataset.shownAt = String(performance.now());
    }

    click(row) {
      const index = this.a.indices[row];
      this.view = { ...(this.view || {}), selected: index };
      this.Plotly.relayout(this.gd, { shapes: this.marker(index) });
      this.send({ points: [{ customdata: [index] }], box: [], lasso: [] });
    }

    selected(e) {
      if (!e) return;
      const points = (e.points || []).filter((p) => this.rowsOfTrace[p.curveNumber])
        .map((p) => ({ customdata: [this.a.indices[this.rowsOfTrace[p.curveNumber][p.pointIndex ?? p.pointNumber]]] }));
      this.send({ points, box: e.range ? [e.range] : [], lasso: e.lassoPoints ? [e.lassoPoints] : [] });
    }

    send(selection) {
      this.component.setTriggerValue("select", { selection });
    }

    // Stop listening and free plotly's WebGL context (the map was replaced or left the page).
    dispose() {
      if (this.stopListening) this.stopListening();
      if (this.gd) this.Plotly.purge(this.gd);
    }
  }

  function headerOf(bytes) {
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
    return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  }

  globalThis.LvmLatentMap = { unpack, headerOf, LatentMap, loadPlotly };
})();
