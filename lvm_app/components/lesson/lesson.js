// The static lesson: walks the steps of lvm_core/lesson/story.py (written into index.html) with Back/Next,
// the table of contents and the left/right arrow keys (the address's #key names the step), and mounts each
// step's view the first time it shows. The views are the app's own code: the latent map (map.js), the
// sliders and the scrubber (decoder/sliders.js, decoder/scrubber.js, whose `export default` the exporter
// turned into LvmViews entries) and the samples grid (samples.js), each given what a Streamlit component
// gets: {data, parentElement, setStateValue, setTriggerValue}. Data comes from data/*.js, which set
// window.LVM_LESSON and window.LVM_LESSON_MAP (scripts, never fetched: Chromium fetches nothing from file://).
(function () {
  "use strict";
  const lesson = window.LVM_LESSON;
  const COMPONENT_OF_VIEW = { sliders: "sliders", samples: "samples", interpolate: "scrubber" };
  const steps = Array.from(document.querySelectorAll("article.step"));
  const keys = steps.map((s) => s.dataset.key);
  const mounted = {};
  let current = -1;

  function fromBase64(text) {
    const binary = atob(text), bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function failed(section, message) {
    const note = section.appendChild(document.createElement("p"));
    note.className = "view-error";
    note.textContent = `This view could not start (${message}).`;
    section.dataset.error = message;
  }

  // What the app's Python would hear: values are kept on the view's element (data-state-*, data-trigger-*);
  // a decoder the page lacks or cannot run is said in the view.
  function shim(data, section) {
    const keep = (prefix) => (name, value) => {
      section.dataset[prefix + name[0].toUpperCase() + name.slice(1)] = JSON.stringify(value);
      if (prefix === "trigger" && (name === "missing" || name === "failed")) failed(section, `${name}: ${value}`);
    };
    return { data, parentElement: section, setStateValue: keep("state"), setTriggerValue: keep("trigger") };
  }

  async function mountMap(section) {
    try {
      const packed = await LvmLatentMap.unpack(fromBase64(window.LVM_LESSON_MAP));
      const map = new LvmLatentMap.LatentMap(section.querySelector(".lvm-map"), packed, shim(null, section));
      await map.draw(undefined, "assets/plotly-gl2d.min.js");   // window.Plotly: loaded by its script tag
    } catch (error) {
      failed(section, error.message);
    }
  }

  function drawEnds(section, ends) {
    const row = section.insertBefore(document.createElement("div"), section.querySelector(".mount"));
    row.className = "lvm-ends";
    for (const end of ends) {
      const figure = row.appendChild(document.createElement("figure"));
      figure.innerHTML = `<canvas></canvas><figcaption></figcaption>`;
      figure.querySelector("figcaption").textContent = end.caption;
      LvmDecoder.draw(figure.querySelector("canvas"), LvmDecoder.fromBase64(end.image), lesson.image_shape);
    }
  }

  function mount(view) {
    if (mounted[view] || view === "none") return;
    mounted[view] = true;
    const section = document.querySelector(`section.view[data-view="${view}"]`);
    if (view === "map") return mountMap(section);
    const data = lesson.views[view];
    if (data.ends) drawEnds(section, data.ends);
    try {
      LvmViews[COMPONENT_OF_VIEW[view]](shim(data, section.querySelector(".mount")));
    } catch (error) {
      failed(section, error.message);
    }
  }

  function show(i) {
    current = Math.max(0, Math.min(steps.length - 1, i));
    const step = steps[current], view = step.dataset.view;
    steps.forEach((s, k) => { s.hidden = k !== current; });
    document.querySelectorAll("section.view").forEach((s) => { s.hidden = s.dataset.view !== view; });
    document.querySelectorAll(".toc button").forEach((b, k) => {
      if (k === current) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
    });
    document.querySelector(".step-buttons .back").disabled = current === 0;
    document.querySelector(".step-buttons .next").disabled = current === steps.length - 1;
    document.querySelector(".step-buttons .step-count").textContent = `${current + 1} / ${steps.length}`;
    document.body.dataset.step = step.dataset.key;
    mount(view);
  }

  // Every move goes through the address (#key): Back/Next, the contents, the keys and the browser's own back.
  const go = (i) => { location.hash = keys[Math.max(0, Math.min(steps.length - 1, i))]; };
  const fromAddress = () => show(Math.max(0, keys.indexOf(decodeURIComponent(location.hash.slice(1)))));
  window.addEventListener("hashchange", fromAddress);
  document.querySelector(".step-buttons .back").addEventListener("click", () => go(current - 1));
  document.querySelector(".step-buttons .next").addEventListener("click", () => go(current + 1));
  document.querySelectorAll(".toc button").forEach((b, k) => b.addEventListener("click", () => go(k)));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("input, select, textarea, [contenteditable]")) return;
    if (e.key === "ArrowRight") go(current + 1);
    else if (e.key === "ArrowLeft") go(current - 1);
  });

  try {
    lesson.decoders.forEach((payload) => LvmDecoder.loadDecoder(payload));   // once; the views find them by digest
  } catch (error) {
    document.querySelectorAll("section.view").forEach((s) => failed(s, error.message));
  }
  fromAddress();
})();
