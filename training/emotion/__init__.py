"""`python -m training emotion`: train a ResNet emotion classifier for FER2013's 7 classes."""
