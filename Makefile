# The front door. `make run` starts the whole platform on the embedded default,
# `make test` runs lint, type checks and the whole test suite. Both install what
# they need into .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-kafka lint typecheck unit integration fmt bench token install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,embedded]'
	# checkov pins many packages of its own: it gets a venv apart (tests/deploy runs it).
	test -x $(VENV)/checkov/bin/checkov || ($(PYTHON) -m venv $(VENV)/checkov \
		&& $(VENV)/checkov/bin/pip install --quiet 'checkov>=3.2')
	touch $(STAMP)

install: $(STAMP)

# axe-core for the portal's browser tests (ADR 31), from package-lock.json; nothing is built.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

run: $(STAMP)
	$(BIN)/python -m services run

test: lint typecheck $(AXE)
	$(BIN)/pytest -q

# The platform on Apache Kafka (from Maven Central, cached under ~/.cache/koersmonitor/kafka)
# and PostgreSQL: the flows and the fault suite on one broker of each version tested, and
# a three-broker cluster under faults (ADR 0027). Needs Java 17+ and Maven.
test-kafka: $(STAMP)
	$(BIN)/python -m tests.apache_kafka assemble
	$(BIN)/pytest -q -s -m apache_kafka  # -s: each fault scenario prints its figures

# lint-imports: the layering contracts in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -m "not integration"

integration: $(STAMP) $(AXE)
	$(BIN)/pytest -q -m "integration and not apache_kafka"

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# bench.kpi on the embedded shape (SQLite, Tansu) and on the production shape (PostgreSQL,
# one Apache Kafka broker of compose's version: Java 17+ and Maven, as test-kafka), then
# both side by side. Smaller: make bench BENCH_KPI_SIZES="--projects 50 --indicators 5 ..."
BENCH_KPI_SIZES ?=
BENCH_OUT := .data/bench
bench: $(STAMP)
	$(BIN)/python -m bench.outbox_relay --database sqlite
	$(BIN)/python -m bench.outbox_relay --database postgresql
	mkdir -p $(BENCH_OUT) && rm -f $(BENCH_OUT)/kpi-*.json
	$(BIN)/python -m bench.kpi $(BENCH_KPI_SIZES) --save $(BENCH_OUT)/kpi-embedded.json
	$(BIN)/python -m bench.kpi $(BENCH_KPI_SIZES) --database postgresql --broker kafka \
		--save $(BENCH_OUT)/kpi-production.json
	$(BIN)/python -m bench.report $(BENCH_OUT)/kpi-embedded.json $(BENCH_OUT)/kpi-production.json

# Before a release: every service fuzzed with 50 examples per operation and 200 sequences of
# 10 calls, as an admin and as a partner key; CI runs the same tests smaller. The figures are
# printed and kept in .data/fuzz-report.jsonl (docs/reliability.md has the last run's).
.PHONY: fuzz
fuzz: $(STAMP)
	mkdir -p .data && rm -f .data/fuzz-report.jsonl
	KOERS_FUZZ_EXAMPLES=50 KOERS_FUZZ_STATEFUL=200 KOERS_FUZZ_REPORT=.data/fuzz-report.jsonl \
		$(BIN)/pytest -q -s -p no:cacheprovider tests/security/test_fuzz.py

token: $(STAMP)
	$(BIN)/python -m services token --role admin

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
