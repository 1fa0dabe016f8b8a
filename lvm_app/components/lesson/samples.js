// AE vs VAE random samples for the static lesson: one batch of codes z ~ N(0, I) decoded by each model in the
// browser (LvmDecoder, decoder/decoder.js), one grid per model, and a "New samples" button. Seeded, so the
// lesson shows the same grids on every machine: draw k uses seed + k.
// A view of the lesson's registry LvmViews, mounted like the app's components ({data, parentElement,
// setTriggerValue}); data: {models: [{label, title, digest}], n, columns, seed, side (CSS px per image)}.
(function () {
  "use strict";

  // mulberry32: a 32-bit seeded generator, uniform in [0, 1); plenty for drawing pictures.
  function uniform(seed) {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // count standard normal numbers (Box-Muller; 1 - u keeps the logarithm finite).
  function normals(next, count) {
    const z = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - next())), angle = 2 * Math.PI * next();
      z[i] = r * Math.cos(angle);
      if (i + 1 < count) z[i + 1] = r * Math.sin(angle);
    }
    return z;
  }

  (globalThis.LvmViews = globalThis.LvmViews || {}).samples = function (component) {
    const { data, setTriggerValue, parentElement } = component;
    const decoders = data.models.map((m) => LvmDecoder.forComponent(m, setTriggerValue));
    if (decoders.some((d) => !d)) return;
    const root = document.createElement("div");
    root.className = "lvm-samples";
    root.innerHTML = `<div class="grids"></div><button type="button" class="new-samples">New samples</button>`;
    parentElement.appendChild(root);
    const canvases = data.models.map((m) => {
      const figure = document.createElement("figure");
      figure.innerHTML = `<div class="grid"></div><figcaption></figcaption>`;
      figure.querySelector("figcaption").textContent = `${m.label} · ${m.title}`;
      const grid = figure.querySelector(".grid");
      grid.style.gridTemplateColumns = `repeat(${data.columns}, ${data.side}px)`;
      root.querySelector(".grids").appendChild(figure);
      return Array.from({ length: data.n }, () => {
        const canvas = grid.appendChild(document.createElement("canvas"));
        canvas.style.width = canvas.style.height = `${data.side}px`;
        return canvas;
      });
    });
    const latent = Math.max(...decoders.map((d) => d.latentDim));
    let draws = 0;
    const draw = () => {
      const next = uniform(data.seed + draws);
      for (let k = 0; k < data.n; k++) {
        const z = normals(next, latent);     // the same code for every model (a shorter code takes its start)
        decoders.forEach((d, m) => LvmDecoder.draw(canvases[m][k], d.decode(z.subarray(0, d.latentDim)), d.imageShape));
      }
      root.dataset.seed = String(data.seed + draws);
      root.dataset.draws = String(++draws);     // read by tests: "New samples" redrew
    };
    root.querySelector(".new-samples").addEventListener("click", draw);
    draw();
  };
})();
