// Reference buckets for ids outside ASCII, computed in JavaScript itself, where strings
// are UTF-16 and charCodeAt(i) yields code units: the semantics of GrowthBook's SDK hash
// (GrowthBook packages/sdk-js/src/util.ts, `hash`: version 2 is
// fnv1a32(String(fnv1a32(seed + value))) % 10000 / 10000, version 1 is
// fnv1a32(value + seed) % 1000 / 1000). Written independently of abtest's Python code
// (32-bit FNV-1a with Math.imul); checked against the spec's own ASCII cases below.
// Run:  node tests/references/growthbook_hash.js > tests/references/growthbook_hash.json
// Generated with Node.js v20.20.2.
function fnv1a32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  }
  return h >>> 0;
}

function bucket(seed, value, version) {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000;
  if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
  return null;
}

// the spec's cases.json "hash" section, a few of them: the implementation above is right
const spec = [["", "a", 1, 0.22], ["b", "a", 1, 0.946], ["seed", "a", 2, 0.0505],
  ["90850943850283058242805", "123", 2, 0.7516], ["()**(%$##$%#$#", '___)((*":&', 2, 0.0128]];
for (const [seed, value, version, expected] of spec) {
  if (bucket(seed, value, version) !== expected) throw new Error(`spec case ${seed} ${value}`);
}

const cases = [];
const seeds = ["checkout-express-pay", "é-seed", ""];
const values = ["é", "café-user-42", "😀", "a😀é", "用户-123", "Ω", "\u00ff\u0100", "x"];
for (const seed of seeds) {
  for (const value of values) {
    for (const version of [1, 2]) {
      cases.push([seed, value, version, bucket(seed, value, version)]);
    }
  }
}
console.log(JSON.stringify({ source: "tests/references/growthbook_hash.js, node " + process.version, cases }, null, 1));
