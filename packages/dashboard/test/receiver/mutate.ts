// Seeded mutations of protobuf bodies, shared by the fuzz test and the reader's differential test.

/** mulberry32: a small seeded PRNG, so a failure replays with its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}
export type Rng = ReturnType<typeof rng>;

export function mutateBytes(r: Rng, seed: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + r.int(4);
  for (let i = 0; i < rounds; i++) {
    const at = r.int(Math.max(1, b.length));
    switch (r.int(7)) {
      case 0: // flip a bit
        if (b.length) b[at] ^= 1 << r.int(8);
        break;
      case 1: // set a byte to an interesting value
        if (b.length) b[at] = r.pick([0x00, 0xff, 0x7f, 0x80, 0x0a, 0x12, 0x1a, 0x22, 0x08]);
        break;
      case 2: // truncate
        b = b.subarray(0, at);
        break;
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(16))]);
        break;
      case 4: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + r.int(8) }, () => r.int(256))), b.subarray(at)]);
        break;
      case 5: // duplicate a chunk
        b = Buffer.concat([b, b.subarray(at, at + 1 + r.int(64))]);
        break;
      default: // a huge varint length
        b = Buffer.concat([b.subarray(0, at), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), b.subarray(at)]);
    }
  }
  return b;
}
