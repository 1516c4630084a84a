"""Tests of `python -m bench` and its figures page (bench/)."""
