# localflow's own image: run Argo Workflow YAML from a CI job that has the host's Docker socket.
#
#   docker build -t localflow .
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock localflow submit examples/hello-world.yaml
#
# BASE is any image with python3 >= 3.10 and /bin/sh (pip is not required: see below):
#   docker build --build-arg BASE=python:3.12-slim -t localflow .
#
# Offline builds (no package index reachable from `docker build`): put wheels of localflow, its
# dependencies and pip into ./wheelhouse first, for the BASE image's Python version; the build then
# installs from there only (docs/ci.md):
#   pip wheel --wheel-dir wheelhouse . pip
#
# The examples are copied to /opt/localflow/examples, the working directory, so
# `submit examples/NAME.yaml` works without mounting anything. localflow talks to the engine through
# the socket only; files go in and out of step containers through Docker's archive API, so no host
# path needs to be shared with this container.
ARG BASE=python:3.11-slim
FROM ${BASE}

LABEL org.opencontainers.image.title="localflow" \
      org.opencontainers.image.description="Run Argo Workflow YAML on one machine with Docker" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

COPY . /tmp/localflow-src

# With a wheelhouse: install from it only (with its own pip wheel when the image has no pip).
# Without: `pip install .` from the package index. PIP_BREAK_SYSTEM_PACKAGES lets pip install into
# a distribution's Python (PEP 668), which is what an image is for.
RUN set -eu; \
    cd /tmp/localflow-src; \
    python3 -c 'import sys; sys.exit(sys.version_info < (3, 10) and "localflow needs Python >= 3.10, this image has " + sys.version.split()[0])'; \
    if ls wheelhouse/*.whl >/dev/null 2>&1; then \
        if python3 -m pip --version >/dev/null 2>&1; then pip="python3 -m pip"; \
        else pip="python3 $(ls wheelhouse/pip-*.whl | head -n 1)/pip"; fi; \
        PIP_BREAK_SYSTEM_PACKAGES=1 $pip install --no-index --find-links wheelhouse localflow; \
    else \
        PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install .; \
    fi; \
    mkdir -p /opt/localflow; \
    cp -r examples /opt/localflow/examples; \
    cd /; rm -rf /tmp/localflow-src; \
    localflow version

WORKDIR /opt/localflow
ENTRYPOINT ["localflow"]
CMD ["--help"]
