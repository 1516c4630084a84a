"""What the tests share: fixture photos and formats, the page driver and its in-page programs, the
parity bounds and report, small models, a CLI runner. Fixtures stay in conftest.py files; helpers
live here, so no test imports a conftest."""
