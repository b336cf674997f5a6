# Front for CMake. `make` builds build/orch; `make hello` installs and starts a Docker engine when none
# answers, then runs a first sandbox; `make test` runs every test tier (it builds the base image and the
# templates first when they are missing); `make install PREFIX=...`, `make package`, `make docker-image`.
BUILD ?= build
JOBS ?= $(shell nproc)
ORCH := $(BUILD)/orch
PREFIX ?= /usr/local
# Extra configure flags, e.g. CMAKE_FLAGS=-DORCH_WERROR=ON (CI builds with warnings as errors).
CMAKE_FLAGS ?=
# Root needs no sudo (CI, containers); anyone else is asked once.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all lint orch engine base-image templates hello test unit integration bench install package docker-image clean

all: orch

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

orch: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

engine:
	@docker info >/dev/null 2>&1 || $(SUDO) bash scripts/install-docker.sh

base-image: engine
	@docker image inspect $${ORCH_BASE_IMAGE:-debian:bookworm-slim} >/dev/null 2>&1 || $(SUDO) bash scripts/bootstrap-base-image.sh

templates: orch base-image
	$(ORCH) templates build --missing

hello: orch base-image
	$(ORCH) run --build -l python -c 'print("hello from a sandbox")'

# clang-format and clang-tidy on the C++ lines changed since .ci/lint-base.
lint: orch
	BUILD=$(BUILD) bash scripts/lint.sh

unit: orch
	$(BUILD)/orch_unit

integration: templates
	bash tests/integration/run.sh $(ORCH)

test: templates
	cd $(BUILD) && ctest --output-on-failure

bench: templates
	bash bench/run.sh $(ORCH)

# DESTDIR=/tmp/stage make install PREFIX=/usr stages a tree, as packagers do.
install: orch
	cmake --install $(BUILD) --prefix $(PREFIX)

# build/orch_VERSION_ARCH.deb and build/orch-VERSION-linux-ARCH.tar.gz
package: orch
	cd $(BUILD) && cpack

docker-image: orch
	bash deploy/docker/build.sh $(ORCH) orch:local

clean:
	rm -rf $(BUILD)
