"""facepack training (`python -m training --help`): the facial-beauty scorer on SCUT-FBP5500 (the
modules at this level), an MTCNN detector (`training.detector`) and an emotion classifier
(`training.emotion`) of your own."""
