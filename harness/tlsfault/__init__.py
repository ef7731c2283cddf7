"""tlsfault for client developers: `pytest -p tlsfault.pytest_plugin`."""
