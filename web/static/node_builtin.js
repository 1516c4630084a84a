// Node's built-in modules, which the TF.js wasm backend's ES build imports for Node only (its
// package.json maps them to nothing in browsers): the page's import map points them here.
export default {};
