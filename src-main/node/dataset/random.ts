/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) for shuffling and augmentation. Runs are
 * reproducible from one integer seed; streams for (seed, epoch, image) are derived by hashing, so an
 * image gets the same augmentation whatever order parallel decoding finishes in.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Uniform integer in [low, high) (high exclusive, like `torch.randint`). */
  int(low: number, high: number): number;
}

/** splitmix32 step: a good 32-bit mixer for turning related seeds into unrelated states. */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [z >>> 0, next];
}

/** Mix several integers into one 32-bit seed (order matters). */
export function deriveSeed(...parts: readonly number[]): number {
  let state = 0x2545f491;
  let out = 0;
  for (const part of parts) {
    // Fold in the low and high 32 bits so large integers stay distinct.
    const low = part >>> 0;
    const high = Math.floor(part / 2 ** 32) >>> 0;
    [out, state] = splitmix32(state ^ low);
    [out, state] = splitmix32(state ^ out ^ high);
  }
  return out >>> 0;
}

export function createRng(seed: number): Rng {
  let state = deriveSeed(seed);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    let value: number;
    [value, state] = splitmix32(state);
    words.push(value);
  }
  let [a, b, c, d] = words as [number, number, number, number];
  const nextUint32 = (): number => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  const next = (): number => nextUint32() / 2 ** 32;
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    int: (low, high) => low + Math.floor(next() * (high - low)),
  };
}

/** Fisher–Yates shuffle of `0 .. n-1`. */
export function shuffledIndices(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  return order;
}
