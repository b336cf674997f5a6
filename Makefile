# Front for CMake. `make` builds build/orch; `make hello` runs a first sandbox; `make test` runs every
# test tier (it builds the base image and the templates first when they are missing); `make bench`.
BUILD ?= build
JOBS ?= $(shell nproc)
ORCH := $(BUILD)/orch

.PHONY: all orch base-image templates hello test unit integration bench clean

all: orch

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

orch: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

base-image:
	bash scripts/bootstrap-base-image.sh

templates: orch base-image
	$(ORCH) templates build --all --missing

hello: orch base-image
	$(ORCH) run --build -l python -c 'print("hello from a sandbox")'

unit: orch
	$(BUILD)/orch_unit

integration: templates
	bash tests/integration/run.sh $(ORCH)

test: templates
	cd $(BUILD) && ctest --output-on-failure

bench: templates
	bash bench/run.sh $(ORCH)

clean:
	rm -rf $(BUILD)
