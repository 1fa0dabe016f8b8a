// LVM decoder runtime: runs lvm_core.export.decoder_payload(ckpt) in the browser with typed arrays.
// A plain script (no import/export) so it can be prepended to any component's module source
// (lvm_app.components.component_js) and loaded alone by tests. It defines one global, LvmDecoder:
//   LvmDecoder.loadDecoder(payload) -> decoder  (cached by payload.digest for the page's lifetime)
//   LvmDecoder.cached(digest)       -> decoder or undefined (the weights were sent earlier this session)
//   decoder.decode(z)               -> Float32Array(C*H*W) in [0, 1], C-H-W order; z: array of latent_dim
//   LvmDecoder.draw(canvas, pixels, [C, H, W])  paints one decoded image (grey or RGB) at native size
// Sums run in float64 and layer outputs are stored as float32, like lvm_core.export.run_payload.
(function () {
  "use strict";
  if (globalThis.LvmDecoder) return;           // several components prepend this file: keep the first

  function fromBase64(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer);     // payload arrays are little-endian float32
  }

  function linear(layer, x) {
    const { in: n, out: m, W, b } = layer, y = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      let s = b[o];
      const row = o * n;
      for (let i = 0; i < n; i++) s += W[row + i] * x[i];
      y[o] = s;
    }
    return y;
  }

  function convTranspose(layer, x) {
    // out[co, iy*s - p + ky, ix*s - p + kx] += x[ci, iy, ix] * W[ci, co, ky, kx]: scatter each input pixel.
    const { in_channels: ci_n, out_channels: co_n, kernel: k, stride: s, padding: p, W, b } = layer;
    const [h, w] = layer.in_hw, [oh, ow] = layer.out_hw, plane = oh * ow;
    const acc = new Float64Array(co_n * plane);
    for (let co = 0; co < co_n; co++) acc.fill(b[co], co * plane, (co + 1) * plane);
    for (let ci = 0; ci < ci_n; ci++) {
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < w; ix++) {
          const v = x[(ci * h + iy) * w + ix];
          if (v === 0) continue;               // after a ReLU most inputs are 0
          for (let co = 0; co < co_n; co++) {
            const wBase = (ci * co_n + co) * k * k, oBase = co * plane;
            for (let ky = 0; ky < k; ky++) {
              const oy = iy * s - p + ky;
              if (oy < 0 || oy >= oh) continue;
              for (let kx = 0; kx < k; kx++) {
                const ox = ix * s - p + kx;
                if (ox < 0 || ox >= ow) continue;
                acc[oBase + oy * ow + ox] += v * W[wBase + ky * k + kx];
              }
            }
          }
        }
      }
    }
    return Float32Array.from(acc);
  }

  const OPS = {
    linear,
    conv_transpose: convTranspose,
    relu: (layer, x) => x.map((v) => (v > 0 ? v : 0)),
    sigmoid: (layer, x) => x.map((v) => 1 / (1 + Math.exp(-v))),
  };

  function loadDecoder(payload) {
    const cache = (globalThis.__lvmDecoderCache = globalThis.__lvmDecoderCache || new Map());
    if (payload.digest && cache.has(payload.digest)) return cache.get(payload.digest);
    if (payload.format !== "lvm-decoder/1") throw new Error(`unknown decoder format ${payload.format}`);
    const layers = payload.layers.map((layer) => {
      if (!OPS[layer.op]) throw new Error(`unknown decoder layer ${layer.op}`);
      return layer.weight ? { ...layer, W: fromBase64(layer.weight), b: fromBase64(layer.bias) } : layer;
    });
    const decoder = {
      digest: payload.digest,
      latentDim: payload.latent_dim,
      imageShape: payload.image_shape,
      decode(z) {
        if (z.length !== payload.latent_dim) throw new Error(`code has ${z.length} numbers, need ${payload.latent_dim}`);
        let x = Float32Array.from(z);
        for (const layer of layers) x = OPS[layer.op](layer, x);
        return x;
      },
    };
    if (payload.digest) cache.set(payload.digest, decoder);
    return decoder;
  }

  function cached(digest) {
    return globalThis.__lvmDecoderCache ? globalThis.__lvmDecoderCache.get(digest) : undefined;
  }

  function draw(canvas, pixels, shape) {
    const [c, h, w] = shape, ctx = canvas.getContext("2d");
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    const img = ctx.createImageData(w, h), plane = h * w;
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = pixels[(c === 3 ? ch : 0) * plane + i];
        img.data[4 * i + ch] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  globalThis.LvmDecoder = { loadDecoder, cached, draw, fromBase64 };
})();
