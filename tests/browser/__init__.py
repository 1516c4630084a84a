"""What needs Chromium: the real page, served by the real Flask app, held to the Python reference."""
