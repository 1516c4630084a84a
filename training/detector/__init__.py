"""`python -m training detector`: train the MTCNN detector (PNet, RNet, ONet) the way its paper does."""
