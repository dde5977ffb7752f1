/** Convolution weight gradient straight from its definition, in float64: the reference for our kernels. */
export function referenceBackpropFilter(
  x: Float32Array,
  xShape: readonly [number, number, number, number],
  dy: Float32Array,
  dyShape: readonly [number, number, number, number],
  k: number,
  stride: number,
  padTop: number,
  padLeft: number,
): Float64Array {
  const [b, h, w, c] = xShape;
  const [, oh, ow, outC] = dyShape;
  const out = new Float64Array(k * k * c * outC);
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      for (let ci = 0; ci < c; ci++)
        for (let co = 0; co < outC; co++) {
          let sum = 0;
          for (let n = 0; n < b; n++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++) {
                const iy = oy * stride + kh - padTop;
                const ix = ox * stride + kw - padLeft;
                if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
                sum += (x[((n * h + iy) * w + ix) * c + ci] as number) * (dy[((n * oh + oy) * ow + ox) * outC + co] as number);
              }
          out[((kh * k + kw) * c + ci) * outC + co] = sum;
        }
  return out;
}

/** Convolution input gradient from its definition, in float64: dX[b, iy, ix, ci] = Σ dY[b, oy, ox, co] · W[kh, kw, ci, co]. */
export function referenceBackpropInput(
  dy: Float32Array,
  dyShape: readonly [number, number, number, number],
  w: Float32Array,
  k: number,
  inShape: readonly [number, number, number, number],
  stride: number,
  padTop: number,
  padLeft: number,
): Float64Array {
  const [b, h, wd, c] = inShape;
  const [, oh, ow, outC] = dyShape;
  const out = new Float64Array(b * h * wd * c);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let kh = 0; kh < k; kh++)
          for (let kw = 0; kw < k; kw++) {
            const iy = oy * stride + kh - padTop;
            const ix = ox * stride + kw - padLeft;
            if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;
            for (let ci = 0; ci < c; ci++) {
              let sum = 0;
              for (let co = 0; co < outC; co++) sum += (dy[((n * oh + oy) * ow + ox) * outC + co] as number) * (w[((kh * k + kw) * c + ci) * outC + co] as number);
              out[((n * h + iy) * wd + ix) * c + ci] = (out[((n * h + iy) * wd + ix) * c + ci] as number) + sum;
            }
          }
  return out;
}
