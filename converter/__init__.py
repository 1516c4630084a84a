"""facepack converter: Keras models -> one checked, self-describing TF.js bundle.

`python -m converter export` writes the bundle; `python -m converter verify BUNDLE` re-checks one.
The work lives in importable functions: `converter.export.export_bundle`,
`converter.verify.verify_bundle`.
"""
