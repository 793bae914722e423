"""Developer scripts, run as ``python scripts/<name>.py``; the tests import them."""
