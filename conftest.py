"""Root test configuration: the shared harness (real PostgreSQL and NATS) for every test directory."""

pytest_plugins = ["sihua_shared.testing.plugin"]

from hypothesis import settings  # noqa: E402

# Property tests repeat: derandomised (the same examples every run), no example database, no deadline on a
# machine shared with real servers.
settings.register_profile("sihua", derandomize=True, database=None, deadline=None, max_examples=200)
settings.load_profile("sihua")
