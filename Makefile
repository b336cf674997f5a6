# Front for CMake: `make` builds build/orch, `make test` runs every test tier, `make bench` the benchmarks.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all orch test unit integration bench clean templates hello

all: orch

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

orch: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

unit: orch
	$(BUILD)/orch_unit

integration: orch
	bash tests/integration/run.sh $(BUILD)/orch

test: orch
	cd $(BUILD) && ctest --output-on-failure

templates: orch
	$(BUILD)/orch templates build --all --missing

hello: orch
	$(BUILD)/orch run --build -l python -c 'print("hello from a sandbox")'

bench: orch
	bash bench/run.sh $(BUILD)/orch

clean:
	rm -rf $(BUILD)
