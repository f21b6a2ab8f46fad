// Micro-benchmark behind one decision (issue 9, item 3): how the attribute
// trie's fast path skips inherited enumerable keys. sdk-metrics hashes own
// enumerable keys (Object.keys); the trie walked `for...in`, which also visits
// inherited keys and calls inherited getters. Each variant walks a 3-level trie
// of the same shape as the SDK's (node key compare, last-value cache, Map.get)
// for a fresh 3-attribute literal and for a reused object, in one process,
// interleaved (bench/lib/harness.mjs).
//
//   cd bench && node --expose-gc micro/own-keys.mjs [--quick] [--cpu]   (--cpu: CPU time, see cpu.mjs)
import { runInterleaved } from '../lib/harness.mjs';
import { runCpu } from './cpu.mjs';

const hasOwn = Object.prototype.hasOwnProperty;
const OBJECT_PROTOTYPE = Object.prototype;
const L3 = ['GET', '/api/cart', '200', 'POST', '/api/order', '201'].map(s => `${s}`);

class Node {
  constructor() {
    this.key = undefined;
    this.values = new Map();
    this.lastValue = undefined;
    this.lastChild = undefined;
  }
}
function build() {
  const root = new Node();
  for (let o = 0; o < 6; o += 3) {
    let node = root;
    ['method', 'route', 'status'].forEach((k, j) => {
      node.key = k;
      const v = L3[o + j];
      if (j === 2) node.values.set(v, o / 3);
      else {
        if (!node.values.has(v)) node.values.set(v, new Node());
        node = node.values.get(v);
      }
    });
  }
  return root;
}
const ROOT = build();

function stepOf(node, key, value) {
  if (key !== node.key) return undefined;
  if (value === node.lastValue) return node.lastChild;
  const child = node.values.get(value);
  node.lastValue = value;
  node.lastChild = child;
  return child;
}

// 1. today: for...in, every enumerable key (own and inherited)
function findForIn(attributes) {
  let node = ROOT;
  let leaf = -1;
  for (const key in attributes) {
    const child = stepOf(node, key, attributes[key]);
    if (child === undefined) return -1;
    if (typeof child === 'number') leaf = child;
    else node = child;
  }
  return leaf;
}
// 2. for...in + Object.prototype.hasOwnProperty.call before the value is read
function findForInHasOwn(attributes) {
  let node = ROOT;
  let leaf = -1;
  for (const key in attributes) {
    if (!hasOwn.call(attributes, key)) continue;
    const child = stepOf(node, key, attributes[key]);
    if (child === undefined) return -1;
    if (typeof child === 'number') leaf = child;
    else node = child;
  }
  return leaf;
}
// 3. for...in + Object.hasOwn
function findForInObjectHasOwn(attributes) {
  let node = ROOT;
  let leaf = -1;
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const child = stepOf(node, key, attributes[key]);
    if (child === undefined) return -1;
    if (typeof child === 'number') leaf = child;
    else node = child;
  }
  return leaf;
}
// 4. Object.keys (allocates the key array unless V8 elides it)
function findObjectKeys(attributes) {
  let node = ROOT;
  let leaf = -1;
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const child = stepOf(node, key, attributes[key]);
    if (child === undefined) return -1;
    if (typeof child === 'number') leaf = child;
    else node = child;
  }
  return leaf;
}
// 5. for...in, checking ownership only for objects whose prototype is not Object.prototype or null
function findForInProtoCheck(attributes) {
  let node = ROOT;
  let leaf = -1;
  const proto = Object.getPrototypeOf(attributes);
  const plain = proto === OBJECT_PROTOTYPE || proto === null;
  for (const key in attributes) {
    if (!plain && !hasOwn.call(attributes, key)) continue;
    const child = stepOf(node, key, attributes[key]);
    if (child === undefined) return -1;
    if (typeof child === 'number') leaf = child;
    else node = child;
  }
  return leaf;
}

const F = new Float64Array(2);
const REUSED = { method: L3[0], route: L3[1], status: L3[2] };
// One function per (variant, input): monomorphic call sites, as in the SDK benches.
const fresh = find =>
  new Function(
    'find',
    'F',
    'L3',
    `return function (n) { for (let i = 0; i < n; i++) { const o = (i & 1) * 3; F[find({ method: L3[o], route: L3[o + 1], status: L3[o + 2] })] += 1; } return n; }`,
  )(find, F, L3);
const reused = find => new Function('find', 'F', 'R', 'return function (n) { for (let i = 0; i < n; i++) F[find(R)] += 1; return n; }')(find, F, REUSED);

const variants = {
  'for-in (today)': findForIn,
  'for-in + hasOwnProperty.call': findForInHasOwn,
  'for-in + Object.hasOwn': findForInObjectHasOwn,
  'Object.keys': findObjectKeys,
  'for-in + prototype check': findForInProtoCheck,
};
const benches = [];
for (const [name, find] of Object.entries(variants)) {
  benches.push({ id: `fresh 3-attr literal / ${name}`, fn: fresh(find), iters: 0 });
  benches.push({ id: `reused object / ${name}`, fn: reused(find), iters: 0 });
}
const results = process.argv.includes('--cpu') ? runCpu(benches) : runInterleaved(benches);
const total = benches.reduce((s, b) => s + b.iters, 0);
if (F[0] + F[1] !== total) {
  console.error(`verification failed: ${F[0] + F[1]} lookups found, ${total} run`);
  process.exit(1);
}
console.log(`node ${process.version}; ns per lookup, best / median`);
for (const b of benches) {
  const r = results.get(b.id);
  console.log(`${b.id.padEnd(50)} ${r.best.toFixed(2).padStart(7)} / ${r.median.toFixed(2)}`);
}
