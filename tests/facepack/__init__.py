"""Tests of the base layer (facepack/): spec, images, crops, models, score, tracker, the analyze CLI."""
