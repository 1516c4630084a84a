"""Tests of the converter (converter/): export, verify, BatchNorm folding, the bundle on disk."""
