"""Root test configuration: the shared harness (real PostgreSQL and NATS) for every test directory."""

pytest_plugins = ["sihua_shared.testing.plugin"]
