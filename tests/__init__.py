"""The test suite, sorted like the source tree; policy in conftest.py, shared helpers in support/."""
