"""facepack training: a facial-beauty scorer on SCUT-FBP5500 (`python -m training --help`)."""
