"""Tests of the Flask app (web/): routing, headers, the string tables, load."""
