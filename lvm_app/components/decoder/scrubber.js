// Interpolation scrubber: one slider along precomputed paths (lvm_core.latent.interpolate, one per model);
// every input event decodes each model's code at that stop in the browser. Python hears t on release.
// data: {token, side, models: [{label, digest, payload, path (base64 float32, steps x D), steps}]}
export default function (component) {
  const { data, setStateValue, setTriggerValue, parentElement } = component;
  const decoders = [];
  for (const m of data.models) {
    decoders.push(LvmDecoder.forComponent(m, setTriggerValue));
    if (!decoders[decoders.length - 1]) return;          // reported to Python, which resends or falls back
  }

  let root = parentElement.querySelector(".lvm-scrubber");
  if (!root || root.lvmToken !== data.token) {
    if (root) root.remove();
    root = document.createElement("div");
    root.className = "lvm-scrubber";
    root.lvmToken = data.token;
    root.innerHTML = `<div class="frames"></div>
      <label class="row"><span class="name">A → B</span><input type="range" aria-label="position on the path">
      <span class="value"></span></label>`;
    parentElement.appendChild(root);
    const steps = data.models[0].steps;
    Object.assign(root.querySelector("input"), { min: 0, max: steps - 1, step: 1, value: 0 });
  }
  const input = root.querySelector("input"), value = root.querySelector(".value");
  const frames = root.querySelector(".frames");
  const views = data.models.map((m, i) => {
    const latent = decoders[i].latentDim;
    return { decoder: decoders[i], latent, path: LvmDecoder.fromBase64(m.path), label: m.label };
  });
  frames.replaceChildren(...views.map((v) => {
    const fig = document.createElement("figure");
    fig.innerHTML = `<canvas class="lvm-frame" data-testid="lvm-live-frame"></canvas><figcaption></figcaption>`;
    fig.querySelector("figcaption").textContent = v.label;
    v.canvas = fig.querySelector("canvas");
    v.canvas.style.width = v.canvas.style.height = `${data.side}px`;
    return fig;
  }));

  let count = Number(root.dataset.frames || 0);
  const redraw = () => {
    const i = Number(input.value), steps = Number(input.max) + 1;
    for (const v of views) {
      LvmDecoder.draw(v.canvas, v.decoder.decode(v.path.subarray(i * v.latent, (i + 1) * v.latent)), v.decoder.imageShape);
    }
    value.textContent = `t=${(i / (steps - 1)).toFixed(2)}`;
    root.dataset.frames = String(++count);
    root.dataset.lastFrameMs = String(performance.now());
  };
  input.oninput = redraw;
  input.onchange = () => setStateValue("t", Number(input.value) / Number(input.max));
  redraw();
}
