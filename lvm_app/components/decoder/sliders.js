// Latent sliders: one range input per shown dimension; every input event decodes and redraws in the
// browser. Python hears the code only on release (state "code"), so a drag causes no rerun.
// data: {digest, payload, token, code: [D], dims: [{d, lo, hi, step, help, label}], side, caption}, and,
// each optional (the static lesson sends none of them, lvm_core/lesson/views.py):
//   dims[].label  the slider's name ("z5 · slant r = 0.81"; default "z5")
//   strip         images in each slider's strip: decodes from its low to its high end at the current code
//   classes       class names of a conditional decoder: a class picker beside the sliders, decode(z, y);
//                 label: the class to start on (state "label" reports a change)
//   every_class   also draw the current code as every class, in a row (a conditional decoder only)
const EXTRAS_BUDGET_MS = 8;     // the class row, then the strips, follow a drag while each costs less than this a frame

export default function (component) {
  const { data, setStateValue, setTriggerValue, parentElement } = component;
  const decoder = LvmDecoder.forComponent(data, setTriggerValue);
  if (!decoder) return;

  let root = parentElement.querySelector(".lvm-sliders");
  if (!root) {
    root = document.createElement("div");
    root.className = "lvm-sliders";
    // the frame comes first in the page (tests and benchmarks read the first canvas); CSS puts it on the right
    root.innerHTML = `<figure class="frame"><canvas class="lvm-frame" data-testid="lvm-live-frame"></canvas>
      <figcaption></figcaption><label class="picker" hidden><span>class</span>
      <select class="lvm-class" aria-label="class"></select></label></figure><div class="controls"></div>
      <figure class="every" hidden><canvas class="lvm-every" data-testid="lvm-every-class"></canvas>
      <figcaption></figcaption></figure>`;
    parentElement.appendChild(root);
  }
  const controls = root.querySelector(".controls"), canvas = root.querySelector("canvas.lvm-frame");
  // The code survives reruns (a release reruns the page and mounts us again with the same token);
  // a new token (another start, model or split) moves every slider to the new start code.
  if (root.lvmToken !== data.token || root.lvmDigest !== data.digest) {
    root.lvmZ = Float32Array.from(data.code);
    root.lvmY = decoder.nClasses ? Math.min(Math.max(0, data.label || 0), decoder.nClasses - 1) : undefined;
    root.lvmToken = data.token;
    root.lvmDigest = data.digest;
    root.lvmLayout = null;
  }
  const z = root.lvmZ;
  canvas.style.width = canvas.style.height = `calc(${data.side}px * var(--lvm-scale, 1))`;   // presenter: larger
  root.querySelector(".frame figcaption").textContent = data.caption || "decode(z), drawn in your browser";

  const classes = decoder.nClasses ? (data.classes || []).slice(0, decoder.nClasses) : [];
  while (classes.length < decoder.nClasses) classes.push(String(classes.length));
  const picker = root.querySelector(".picker"), select = picker.querySelector("select");
  picker.hidden = !classes.length;
  if (select.options.length !== classes.length) select.replaceChildren(...classes.map((c, i) => new Option(c, i)));
  select.value = String(root.lvmY);
  const every = root.querySelector(".every"), everyCanvas = every.querySelector("canvas");
  every.hidden = !(classes.length && data.every_class);
  every.querySelector("figcaption").textContent = `the same z decoded as every class: ${classes.join(" · ")}`;

  const stripLength = Number(data.strip) || 0;
  const count = (name) => { root.dataset[name] = String(Number(root.dataset[name] || 0) + 1); };
  const drawExtras = (withStrips = true, withRow = true) => {
    const strips = [...(withStrips ? controls.querySelectorAll("canvas.lvm-strip") : [])].map((strip) => {
      const input = strip.parentElement.querySelector("input");
      return { d: Number(input.dataset.dim), lo: Number(input.min), hi: Number(input.max), strip };
    });
    for (const { d, lo, hi, strip } of strips) {
      const kept = z[d], images = [];
      for (let i = 0; i < stripLength; i++) {
        z[d] = lo + ((hi - lo) * i) / (stripLength - 1);
        images.push(decoder.decode(z, root.lvmY));
      }
      z[d] = kept;
      LvmDecoder.drawRow(strip, images, decoder.imageShape);
    }
    if (withRow && !every.hidden) {
      LvmDecoder.drawRow(everyCanvas, classes.map((_, y) => decoder.decode(z, y)), decoder.imageShape);
    }
    if (withStrips) count("extras");             // read by tests: the strips (and the row) were drawn
  };
  const redraw = (withExtras) => {
    const start = performance.now();
    LvmDecoder.draw(canvas, decoder.decode(z, root.lvmY), decoder.imageShape);
    const end = performance.now();
    count("frames");                             // read by tests and benchmarks/live_decoding.py
    root.dataset.lastFrameMs = String(end);
    root.dataset.drawMs = String(Number(root.dataset.drawMs || 0) + end - start);
    // a decode's cost, smoothed: while an extra is cheap it follows the drag, else it waits for the release
    // (MNIST's MLP z=32: the 10-class row follows, 12 strips of 7 wait; the 8x8 digits: both follow)
    root.lvmDecodeMs = 0.8 * (root.lvmDecodeMs ?? end - start) + 0.2 * (end - start);
    const strips = controls.querySelectorAll("canvas.lvm-strip").length;
    const row = every.hidden ? 0 : classes.length;
    if (withExtras) drawExtras();
    else drawExtras(root.lvmDecodeMs * (strips * stripLength + row) < EXTRAS_BUDGET_MS,
                    root.lvmDecodeMs * row < EXTRAS_BUDGET_MS);
  };
  select.onchange = () => {
    root.lvmY = Number(select.value);
    redraw(true);
    setStateValue("label", root.lvmY);
  };

  const layout = JSON.stringify([data.dims, stripLength]);
  if (root.lvmLayout !== layout) {
    root.lvmLayout = layout;
    controls.replaceChildren();
    for (const { d, lo, hi, step, help, label } of data.dims) {
      const row = document.createElement("label");
      row.className = label ? "row labelled" : "row";
      row.title = help || "";
      row.innerHTML = `<span class="name"></span><input type="range"><span class="value"></span>`;
      row.querySelector(".name").textContent = label || `z${d}`;
      const input = row.querySelector("input"), value = row.querySelector(".value");
      Object.assign(input, { min: lo, max: hi, step, value: z[d] });
      input.dataset.dim = String(d);
      input.setAttribute("aria-label", `z${d}`);
      value.textContent = z[d].toFixed(2);
      input.addEventListener("input", () => {
        z[d] = Number(input.value);
        value.textContent = z[d].toFixed(2);
        redraw(false);
      });
      input.addEventListener("change", () => {
        drawExtras();                             // the strips now follow the released code
        setStateValue("code", Array.from(z));
      });
      if (stripLength > 1) {
        const strip = document.createElement("canvas");
        strip.className = "lvm-strip";
        strip.title = "this number from its low end to its high end, the others as they are now";
        row.appendChild(strip);
      }
      controls.appendChild(row);
    }
  }
  redraw(true);
}
