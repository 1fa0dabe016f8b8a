// Interpolation scrubber: one slider along precomputed paths (lvm_core.latent.interpolate, one per model);
// every input event decodes each model's code at that stop in the browser. Python hears t on release.
// Play moves the same slider from A to B in PLAY_MS (the button, or the document event "lvm-scrubber-play"
// that presenter mode's space key sends); it ends as a release would.
const PLAY_MS = 3000;
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
      <div class="row"><button type="button" class="play" aria-label="play the path">Play</button>
      <input type="range" aria-label="position on the path"><span class="value"></span></div>`;
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
    v.canvas.style.width = v.canvas.style.height = `calc(${data.side}px * var(--lvm-scale, 1))`;   // presenter: larger
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
  const button = root.querySelector(".play");
  // A play survives reruns (root.lvmPlay): each frame reads the newest input and redraw of this root.
  const play = () => {
    if (root.lvmPlay) { cancelAnimationFrame(root.lvmPlay.frame); root.lvmPlay = null; button.textContent = "Play"; return; }
    const max = Number(input.max), from = Number(input.value) >= max ? 0 : Number(input.value);
    const start = performance.now() - (from / max) * PLAY_MS;
    const frame = (now) => {
      if (!root.isConnected) return;          // another pair or page replaced this scrubber
      input.value = String(Math.min(max, Math.round(((now - start) / PLAY_MS) * max)));
      root.lvmRedraw();
      if (Number(input.value) < max) { root.lvmPlay.frame = requestAnimationFrame(frame); return; }
      root.lvmPlay = null;
      button.textContent = "Play";
      input.onchange();                       // the end of a play is a release: Python hears t = 1
    };
    root.lvmPlay = { frame: requestAnimationFrame(frame) };
    button.textContent = "Pause";
  };
  root.lvmRedraw = redraw;
  button.onclick = play;
  // One document listener per scrubber, replaced on rerun; a scrubber no longer on the page lets go of it.
  if (root.lvmOnPlay) document.removeEventListener("lvm-scrubber-play", root.lvmOnPlay);
  root.lvmOnPlay = () => (root.isConnected ? play() : document.removeEventListener("lvm-scrubber-play", root.lvmOnPlay));
  document.addEventListener("lvm-scrubber-play", root.lvmOnPlay);
  redraw();
}
