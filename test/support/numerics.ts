/** Largest absolute difference over the largest expected magnitude (the parity measure for logits). */
export function relativeError(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[]): number {
  let err = 0;
  let scale = 0;
  expected.forEach((row, i) =>
    row.forEach((value, j) => {
      err = Math.max(err, Math.abs((actual[i]?.[j] ?? Number.NaN) - value));
      scale = Math.max(scale, Math.abs(value));
    }),
  );
  return err / scale;
}
