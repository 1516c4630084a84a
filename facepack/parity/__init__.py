"""Holding a bundle to its Python reference: `python -m facepack parity PHOTOS --bundle DIR`.

    bounds        the bounds and the comparison of one runtime's faces with Python's (the tests use them too)
    chromium      the app on loopback and Chromium through Playwright (the tests launch it from here)
    run           the command: the Python reference, the page per backend, Node, compared
    report        report.json and report.html
    analyze_page.js   the in-page program that analyses one photo in the page
"""
