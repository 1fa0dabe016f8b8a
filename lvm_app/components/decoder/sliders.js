// Latent sliders: one range input per shown dimension; every input event decodes and redraws in the
// browser. Python hears the code only on release (state "code"), so a drag causes no rerun.
// data: {digest, payload, token, code: [D], dims: [{d, lo, hi, step, help}], side, caption}
export default function (component) {
  const { data, setStateValue, setTriggerValue, parentElement } = component;
  const decoder = LvmDecoder.forComponent(data, setTriggerValue);
  if (!decoder) return;

  let root = parentElement.querySelector(".lvm-sliders");
  if (!root) {
    root = document.createElement("div");
    root.className = "lvm-sliders";
    root.innerHTML = `<div class="controls"></div>
      <figure><canvas class="lvm-frame" data-testid="lvm-live-frame"></canvas><figcaption></figcaption></figure>`;
    parentElement.appendChild(root);
  }
  const controls = root.querySelector(".controls"), canvas = root.querySelector("canvas");
  // The code survives reruns (a release reruns the page and mounts us again with the same token);
  // a new token (another start, model or split) moves every slider to the new start code.
  if (root.lvmToken !== data.token || root.lvmDigest !== data.digest) {
    root.lvmZ = Float32Array.from(data.code);
    root.lvmToken = data.token;
    root.lvmDigest = data.digest;
    root.lvmLayout = null;
  }
  const z = root.lvmZ;
  canvas.style.width = canvas.style.height = `calc(${data.side}px * var(--lvm-scale, 1))`;   // presenter: larger
  root.querySelector("figcaption").textContent = data.caption || "decode(z), drawn in your browser";

  let frames = Number(root.dataset.frames || 0);
  const redraw = () => {
    const start = performance.now();
    LvmDecoder.draw(canvas, decoder.decode(z), decoder.imageShape);
    const end = performance.now();
    root.dataset.frames = String(++frames);      // read by tests and benchmarks/live_decoding.py
    root.dataset.lastFrameMs = String(end);
    root.dataset.drawMs = String(Number(root.dataset.drawMs || 0) + end - start);
  };

  const layout = JSON.stringify(data.dims);
  if (root.lvmLayout !== layout) {
    root.lvmLayout = layout;
    controls.replaceChildren();
    for (const { d, lo, hi, step, help } of data.dims) {
      const row = document.createElement("label");
      row.className = "row";
      row.title = help || "";
      row.innerHTML = `<span class="name">z${d}</span><input type="range"><span class="value"></span>`;
      const input = row.querySelector("input"), value = row.querySelector(".value");
      Object.assign(input, { min: lo, max: hi, step, value: z[d] });
      input.dataset.dim = String(d);
      input.setAttribute("aria-label", `z${d}`);
      value.textContent = z[d].toFixed(2);
      input.addEventListener("input", () => {
        z[d] = Number(input.value);
        value.textContent = z[d].toFixed(2);
        redraw();
      });
      input.addEventListener("change", () => setStateValue("code", Array.from(z)));
      controls.appendChild(row);
    }
  }
  redraw();
}
