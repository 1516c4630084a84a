"""`python -m bench`: the page, the Python reference and face-api.js timed in one run; `python -m bench.figures`."""
