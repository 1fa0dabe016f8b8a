"""From codes to images: batched encode/decode, latent tools (slider ranges, planes, paths), samplers,
and the decoder's wire format for the browser (and ONNX)."""
