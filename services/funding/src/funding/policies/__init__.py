"""The shipped policy files, one folder per jurisdiction (validated on load by ``funding.domain.policies``)."""
