# pamgeo: two commands on a fresh clone -> `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
REGION ?= tangsel
WORKERS ?= 2

.PHONY: install demo data run test lint wheel-check bench bench-polda lab depok polda constraints clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name pamgeo --display-name "pamgeo (Python 3)" >/dev/null
	$(BIN)/python -m compileall -q pamgeo  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	touch $(STAMP)

install: $(STAMP)

data: install
	$(BIN)/pamgeo data build $(REGION)

run: install
	$(BIN)/pamgeo run $(REGION) --workers $(WORKERS)

demo: install
	$(BIN)/pamgeo data build tangsel
	$(BIN)/pamgeo run tangsel --workers $(WORKERS)
	@echo "Briefing: $(CURDIR)/reports/tangsel/index.html"

depok: install
	$(BIN)/pamgeo data build depok
	$(BIN)/pamgeo run depok --workers $(WORKERS)
	@echo "Briefing: $(CURDIR)/reports/depok/index.html"

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check pamgeo tests bench

wheel-check:  # the wheel in a fresh venv, outside the checkout, renders the Tangsel briefing
	.ci/wheel-check   # in a new folder under /tmp: outside the checkout

bench: install
	$(BIN)/python bench/bench.py

bench-polda: install  # the Polda run with 1 and 2 workers, per member and notebook; the national view
	$(BIN)/python bench/bench_polda.py

polda: install
	$(BIN)/pamgeo run polda_metro_jaya --workers $(WORKERS)
	@echo "Briefing: $(CURDIR)/reports/polda_metro_jaya/index.html"

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

constraints: install
	(echo "# Exact versions of every package (direct and transitive) in the tested environment."; \
	 echo "# make install uses it as a pip constraints file; regenerate with \`make constraints\`."; \
	 $(BIN)/pip freeze --exclude-editable | grep -v '^pamgeo') > constraints.txt

clean:
	rm -rf build reports/*/ reports/.*.tmp-* .pytest_cache
