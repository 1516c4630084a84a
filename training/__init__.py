"""`python -m training`: train the beauty scorer, an MTCNN detector and an emotion classifier for the bundle."""
