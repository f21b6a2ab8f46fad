// V8 floors: the least work that could do the same job (a typed-array slot, a Map, a trie), measured
// in the same run so that the SDK's ratios to them hold on this machine today.
import { HV, L3, OTEL_BOUNDS, ROT_COMBOS, ROT_METHOD, ROT_ORDER, ROT_ROUTE, ROT_STATUS } from '../../lib/fixtures.mjs';
import { arraySum, bench } from './defs.mjs';

const SLOT = [7].map(x => x)[0]; // a runtime value, not a constant V8 could fold
const FS = new Float64Array(16);
const FR = new Float64Array(8);
const FI = new Float64Array(2);
const FT = new Float64Array(2);
const FK = new Float64Array(2);
const FH = new Float64Array(32);
const FROT = new Float64Array(ROT_COMBOS);
const BOUNDS = Float64Array.from(OTEL_BOUNDS);

// Two distinct attribute objects of the same shape, alternated: identity lookups (Map keyed by object).
const IDS = [
  { method: L3[0], route: L3[1], status: L3[2] },
  { method: L3[0], route: L3[1], status: L3[2] },
];
const BY_OBJECT = new Map([
  [IDS[0], 0],
  [IDS[1], 1],
]);

/** key -> value -> key -> value ... -> slot, the interner a fresh literal needs when its key order is unknown. */
function kvTrie(sets) {
  const root = new Map();
  sets.forEach((attrs, slot) => {
    let node = root;
    const entries = Object.entries(attrs);
    entries.forEach(([k, v], j) => {
      if (!node.has(k)) node.set(k, new Map());
      node = node.get(k);
      if (j === entries.length - 1) node.set(v, slot);
      else {
        if (!node.has(v)) node.set(v, new Map());
        node = node.get(v);
      }
    });
  });
  return root;
}
const TRIE3 = kvTrie([{ method: L3[0], route: L3[1], status: L3[2] }]);
const TRIE_ROT = kvTrie(Array.from({ length: ROT_COMBOS }, (_, k) => ({ method: ROT_METHOD[k], route: ROT_ROUTE[k], status: ROT_STATUS[k] })));
const KNOWN3 = new Map([[L3[0], new Map([[L3[1], new Map([[L3[2], 0]])]])]]);

function floorEmpty(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += i;
  return s;
}
function floorSameSlot(n) {
  const f = FS;
  const slot = SLOT;
  for (let i = 0; i < n; i++) f[slot] += 1;
  return f[slot];
}
function floorRotating(n) {
  const f = FR;
  for (let i = 0; i < n; i++) f[i & 7] += 1;
  return f[0];
}
function floorIdentity(n) {
  const f = FI;
  const m = BY_OBJECT;
  for (let i = 0; i < n; i++) f[m.get(IDS[i & 1])] += 1;
  return f[0];
}
function floorTrie3(n) {
  const f = FT;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    const a = { method: L3[o], route: L3[o + 1], status: L3[o + 2] };
    let node = TRIE3;
    for (const key in a) node = node.get(key).get(a[key]);
    f[node] += 1;
  }
  return f[0];
}
function floorKnown3(n) {
  const f = FK;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    const a = { method: L3[o], route: L3[o + 1], status: L3[o + 2] };
    f[KNOWN3.get(a.method).get(a.route).get(a.status)] += 1;
  }
  return f[0];
}
function floorHist3(n) {
  const f = FH;
  const b = BOUNDS;
  for (let i = 0; i < n; i++) {
    const o = (i & 1) * 3;
    const a = { method: L3[o], route: L3[o + 1], status: L3[o + 2] };
    let node = TRIE3;
    for (const key in a) node = node.get(key).get(a[key]);
    const v = HV[i & 1023];
    let lo = 0;
    let hi = 15;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= b[mid]) hi = mid;
      else lo = mid + 1;
    }
    f[node * 16 + lo] += 1;
  }
  return f[0];
}
function floorTrieRot(n) {
  const f = FROT;
  for (let i = 0; i < n; i++) {
    const k = ROT_ORDER[i & 4095];
    const a = { method: ROT_METHOD[k], route: ROT_ROUTE[k], status: ROT_STATUS[k] };
    let node = TRIE_ROT;
    for (const key in a) node = node.get(key).get(a[key]);
    f[node] += 1;
  }
  return f[0];
}

/** Floor benches; `label` names them in the report. */
export function floorBenches() {
  const floor = (name, fn, verify, label) => bench('floor', name, fn, verify, { label });
  return [
    floor('empty-loop', floorEmpty, null, 'empty loop (s += i)'),
    floor('f64-same-slot', floorSameSlot, arraySum(FS), 'Float64Array same slot += 1'),
    floor('f64-rotating', floorRotating, arraySum(FR), 'Float64Array[i & 7] += 1'),
    floor('identity-map', floorIdentity, arraySum(FI), 'Map.get(attrs object) → F[slot] += 1'),
    floor('trie-forin-3', floorTrie3, arraySum(FT), 'fresh literal, for-in → (key, value) Map trie → F[slot] += 1'),
    floor('trie-known-3', floorKnown3, arraySum(FK), 'fresh literal, known key order → 3 nested Map.get → F[slot] += 1'),
    floor('hist-trie-3', floorHist3, arraySum(FH), 'fresh literal, for-in trie + binary search over 15 bounds → F[bucket] += 1'),
    floor('trie-forin-rot1000', floorTrieRot, arraySum(FROT), 'rotating 1,000 sets, for-in trie → F[slot] += 1'),
  ];
}
