# Shortcuts; the README's two commands are scripts/run.sh and scripts/test.sh.
.PHONY: run test lint bench
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
bench:
	.venv/bin/python -m bench

# Browser benchmarks and the soak test (docs/benchmarks.md); long, not part of `make test`.
.PHONY: bench-browser bench-filters bench-memory soak
bench-browser:
	mkdir -p test-artifacts && .venv/bin/python -m bench.bench_browser --leads 1000000 --out test-artifacts/bench-browser.json
bench-filters:
	mkdir -p test-artifacts && .venv/bin/python -m bench.bench_filters --leads 1000000 --out test-artifacts/bench-filters.json
bench-memory:
	mkdir -p test-artifacts && .venv/bin/python -m bench.memory $(if $(MEMORY_DB),--db $(MEMORY_DB),--leads 1000000) --out test-artifacts/bench-memory.json
soak:
	mkdir -p test-artifacts && .venv/bin/python -m bench.load --leads 1000000 --sessions 20 --seconds 300 --import-rows 1000000 --out test-artifacts/soak.json
