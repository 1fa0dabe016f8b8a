// The latent map as a Streamlit component: the glue between Streamlit's mounts and the map itself
// (map.js: plotly.js from vendor/, the preview panel, hover, decoding empty spots; shared with the static
// lesson). Clicks and box/lasso selections go to Python as one trigger value "select", shaped like
// st.plotly_chart's selection event so lvm_core.selection reads both.
//
// Two mounts per map: the payload mount (bytes, once per map; Streamlit resends identical elements as
// a cache reference) and a small view mount (JSON: colouring and the selected point), so changing the
// colour or the selection never resends the payload.

import "../../decoder/decoder.js";   // defines globalThis.LvmDecoder (live decoding, shared with the sliders)
import "./map.js";                  // defines globalThis.LvmLatentMap (the map, shared with the static lesson)

const PLOTLY_URL = new URL("./vendor/plotly-gl2d.min.js", import.meta.url).href;
const registry = (window.__lvmLatentMap = window.__lvmLatentMap || { maps: {}, views: {} });

function forget(state) {
  const map = state.map;
  state.map = null;
  if (!map) return;
  map.dispose();
  if (registry.maps[map.header.key] === map) delete registry.maps[map.header.key];
}

export default function (component) {
  const { data, parentElement } = component;
  if (!(data instanceof Uint8Array)) {   // the view mount: colouring, the selected point, the decoder
    if (!data || data.map_key === undefined) return;
    const { decoder, ...view } = data;
    if (decoder && !(decoder.payload ? LvmDecoder.loadDecoder(decoder.payload) : LvmDecoder.cached(decoder.digest))) {
      component.setTriggerValue("missing", decoder.digest);   // a reloaded tab: ask for the weights again
    }
    registry.views[view.map_key] = view;
    const map = registry.maps[view.map_key];
    if (map) map.applyView(view);
    return;
  }
  let root = parentElement.querySelector(":scope > .lvm-map");
  if (!root) {
    root = document.createElement("div");
    root.className = "lvm-map";
    parentElement.appendChild(root);
  }
  const state = root.__lvm || (root.__lvm = {});
  state.component = component;   // the latest setTriggerValue (it carries the fragment id)
  const header = LvmLatentMap.headerOf(data);
  const cleanup = () => setTimeout(() => { if (!root.isConnected) forget(state); }, 0);
  if (state.digest === header.digest) {   // the same map again (a rerun): keep the drawn one
    if (state.map) state.map.component = component;
    return cleanup;
  }
  forget(state);
  state.digest = header.digest;
  (async () => {
    try {
      const packed = await LvmLatentMap.unpack(data);
      if (state.digest !== header.digest) return;   // another map arrived meanwhile
      const map = new LvmLatentMap.LatentMap(root, packed, state.component);
      state.map = map;
      await map.draw(registry.views[header.key], PLOTLY_URL);
      registry.maps[header.key] = map;
      const view = registry.views[header.key];
      if (view) await map.applyView(view);
    } catch (error) {
      root.textContent = `The live map could not start (${error.message}).`;
      root.dataset.error = error.message;
    }
  })();
  return cleanup;
}
