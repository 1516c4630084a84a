"""Tests of the trainers (training/): scorer, detector, emotion and what they share."""
