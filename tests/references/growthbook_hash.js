// Reference buckets for ids outside ASCII, computed with GrowthBook's own hash.
// hashFnv32a and hash are copied verbatim from GrowthBook packages/sdk-js/src/util.ts
// (github.com/growthbook/growthbook, commit 8f1db44569, MIT licence, (c) GrowthBook, Inc.).
// Run:  node tests/references/growthbook_hash.js > tests/references/growthbook_hash.json
// Generated with Node.js v20.20.2.
function hashFnv32a(str) {
  let hval = 0x811c9dc5;
  const l = str.length;

  for (let i = 0; i < l; i++) {
    hval ^= str.charCodeAt(i);
    hval +=
      (hval << 1) + (hval << 4) + (hval << 7) + (hval << 8) + (hval << 24);
  }
  return hval >>> 0;
}

function hash(seed, value, version) {
  // New unbiased hashing algorithm
  if (version === 2) {
    return (hashFnv32a(hashFnv32a(seed + value) + "") % 10000) / 10000;
  }
  // Original biased hashing algorithm (keep for backwards compatibility)
  if (version === 1) {
    return (hashFnv32a(value + seed) % 1000) / 1000;
  }

  // Unknown hash version
  return null;
}

const cases = [];
const seeds = ["checkout-express-pay", "é-seed", ""];
const values = ["é", "café-user-42", "😀", "a😀é", "用户-123", "Ω", "\u00ff\u0100", "x"];
for (const seed of seeds) {
  for (const value of values) {
    for (const version of [1, 2]) {
      cases.push([seed, value, version, hash(seed, value, version)]);
    }
  }
}
console.log(JSON.stringify({ source: "GrowthBook sdk-js util.ts hash, node " + process.version, cases }, null, 1));
