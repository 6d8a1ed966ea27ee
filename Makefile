# The two commands of the README: `make demo` and `make test`. Each creates .venv
# and installs what it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out/demo

.PHONY: demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the declared dependencies change.
$(VENV)/.installed-%: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-demo
	@mkdir -p $(OUT)
	$(BIN)/kstyle stylize --preset=demo --content=sample:chelsea --style=sample:swirls --output=$(OUT)/stylized.png
	$(BIN)/kstyle transform --model=starry_night --input=sample:chelsea,sample:astronaut,sample:coffee --output=$(OUT)/starry_night
	@echo "The pictures are in $(OUT). kstyle is installed in $(BIN): '. $(BIN)/activate' puts it on your PATH."

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) out build *.egg-info
