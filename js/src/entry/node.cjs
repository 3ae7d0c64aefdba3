// CommonJS: `require('sluice')` loads the ES module entry (Node ≥ 20.19 and ≥ 22.12 load ES
// modules from require(); so does Bun). `import` and `require` then share one instance: one
// wasm core, one set of error classes for `instanceof`.
module.exports = require('./node.js');
