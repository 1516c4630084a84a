"""facepack web: a Flask app serving the page, the bundle and the vendored TF.js files.

All inference runs in the browser; the server never receives an image.
"""
