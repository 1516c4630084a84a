"""Tests of the JS package (js/): its unit tests and types, the Node CLI, the packed tarball."""
