// LVM decoder runtime: runs lvm_core.export.decoder_payload(ckpt) in the browser with typed arrays.
// A plain script (no import/export) so it can be prepended to any component's module source
// (lvm_app.components.component_js) and loaded alone by tests. It defines one global, LvmDecoder:
//   LvmDecoder.loadDecoder(payload) -> decoder  (cached by payload.digest for the page's lifetime)
//   LvmDecoder.cached(digest)       -> decoder or undefined (the weights were sent earlier this session)
//   decoder.decode(z, y)            -> Float32Array(C*H*W) in [0, 1], C-H-W order; z: array of latent_dim;
//                                      y: the class, for a conditional decoder only (decoder.nClasses > 0:
//                                      its first layer takes [z, one-hot(y)]); other decoders ignore it
//   LvmDecoder.draw(canvas, pixels, [C, H, W])  paints one decoded image (grey or RGB) at native size
//   LvmDecoder.drawRow(canvas, [pixels...], [C, H, W])  paints several side by side, 1 px apart
//   LvmDecoder.forComponent({digest, payload}, setTriggerValue) -> decoder, or null after reporting to Python
//     "missing" (this page lacks that digest's weights: Python resends) or "failed" (Python falls back)
// Sums run in float64 and layer outputs are stored as float32, like lvm_core.export.run_payload.
(function () {
  "use strict";
  if (globalThis.LvmDecoder) return;           // several components prepend this file: keep the first

  function fromBase64(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new Float32Array(bytes.buffer);     // payload arrays are little-endian float32
  }

  function linear(layer, x) {
    // Four running sums: independent additions the JIT can overlap (about 1.4x faster than one sum).
    const { in: n, out: m, W, b } = layer, y = new Float32Array(m), n4 = n - (n % 4);
    for (let o = 0; o < m; o++) {
      const row = o * n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
      for (; i < n4; i += 4) {
        s0 += W[row + i] * x[i]; s1 += W[row + i + 1] * x[i + 1];
        s2 += W[row + i + 2] * x[i + 2]; s3 += W[row + i + 3] * x[i + 3];
      }
      for (; i < n; i++) s0 += W[row + i] * x[i];
      y[o] = b[o] + ((s0 + s1) + (s2 + s3));
    }
    return y;
  }

  function convTranspose(layer, x) {
    // out[co, iy*s - p + ky, ix*s - p + kx] += x[ci, iy, ix] * W[ci, co, ky, kx]: scatter each input pixel.
    // Sums are kept pixel-major (oy, ox, co) against weights stored (ci, ky, kx, co), so the innermost loop
    // walks both arrays contiguously; the result is turned back to channel-major (co, oy, ox) at the end.
    const { in_channels: ciN, out_channels: coN, kernel: k, stride: s, padding: p, Wt, b } = layer;
    const [h, w] = layer.in_hw, [oh, ow] = layer.out_hw, plane = oh * ow;
    const acc = new Float64Array(plane * coN);
    for (let ci = 0; ci < ciN; ci++) {
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < w; ix++) {
          const v = x[(ci * h + iy) * w + ix];
          if (v === 0) continue;               // after a ReLU most inputs are 0
          for (let ky = 0; ky < k; ky++) {
            const oy = iy * s - p + ky;
            if (oy < 0 || oy >= oh) continue;
            for (let kx = 0; kx < k; kx++) {
              const ox = ix * s - p + kx;
              if (ox < 0 || ox >= ow) continue;
              const out = (oy * ow + ox) * coN, wBase = ((ci * k + ky) * k + kx) * coN;
              for (let co = 0; co < coN; co++) acc[out + co] += v * Wt[wBase + co];
            }
          }
        }
      }
    }
    const y = new Float32Array(coN * plane);
    for (let co = 0; co < coN; co++) {
      for (let i = 0; i < plane; i++) y[co * plane + i] = acc[i * coN + co] + b[co];
    }
    return y;
  }

  function channelsLast(W, ciN, coN, k) {
    // (ci, co, ky, kx), as PyTorch stores a ConvTranspose2d weight -> (ci, ky, kx, co)
    const Wt = new Float32Array(W.length);
    for (let ci = 0; ci < ciN; ci++) for (let co = 0; co < coN; co++) for (let j = 0; j < k * k; j++) {
      Wt[(ci * k * k + j) * coN + co] = W[(ci * coN + co) * k * k + j];
    }
    return Wt;
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
      if (!layer.weight) return layer;
      const loaded = { ...layer, W: fromBase64(layer.weight), b: fromBase64(layer.bias) };
      if (layer.op === "conv_transpose") {
        loaded.Wt = channelsLast(loaded.W, layer.in_channels, layer.out_channels, layer.kernel);
      }
      return loaded;
    });
    const latent = payload.latent_dim, nClasses = payload.n_classes || 0;
    const decoder = {
      digest: payload.digest,
      latentDim: latent,
      nClasses,
      imageShape: payload.image_shape,
      decode(z, y) {
        if (z.length !== latent) throw new Error(`code has ${z.length} numbers, need ${latent}`);
        let x;
        if (nClasses) {          // a conditional decoder: [z, one-hot(y)], as lvm_core's CVAE.decode builds it
          if (!Number.isInteger(y) || y < 0 || y >= nClasses) {
            throw new Error(`this decoder draws a class: give y from 0 to ${nClasses - 1}, not ${y}`);
          }
          x = new Float32Array(latent + nClasses);
          x.set(z);
          x[latent + y] = 1;
        } else {
          x = Float32Array.from(z);
        }
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

  function imageData(ctx, pixels, shape) {
    // C-H-W floats in [0, 1] -> an RGBA ImageData (grey repeated in R, G and B)
    const [c, h, w] = shape, img = ctx.createImageData(w, h), plane = h * w;
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = pixels[(c === 3 ? ch : 0) * plane + i];
        img.data[4 * i + ch] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
      img.data[4 * i + 3] = 255;
    }
    return img;
  }

  function draw(canvas, pixels, shape) {
    const [, h, w] = shape, ctx = canvas.getContext("2d");
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    ctx.putImageData(imageData(ctx, pixels, shape), 0, 0);
  }

  function drawRow(canvas, images, shape) {
    // One canvas for a row of decodes, 1 px of white between them: no canvas per image to lay out.
    const [, h, w] = shape, n = images.length, ctx = canvas.getContext("2d");
    const width = n * w + Math.max(0, n - 1);
    if (canvas.width !== width || canvas.height !== h) { canvas.width = width; canvas.height = h; }
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, h);
    images.forEach((pixels, k) => ctx.putImageData(imageData(ctx, pixels, shape), k * (w + 1), 0));
  }

  function forComponent(data, setTriggerValue) {
    try {
      const decoder = data.payload ? loadDecoder(data.payload) : cached(data.digest);
      if (!decoder) setTriggerValue("missing", data.digest);
      return decoder || null;
    } catch (error) {
      setTriggerValue("failed", String(error && error.message ? error.message : error));
      return null;
    }
  }

  globalThis.LvmDecoder = { loadDecoder, cached, draw, drawRow, fromBase64, forComponent };
})();
