"""The shared test kit: token minting, the server harness, service clients and running workers."""
