#!/usr/bin/env bash
# Build localflow's offline stand-in images and tag them under the names the examples use,
# only where no image of that name exists (a real image a user has is never replaced).
# The work is done by build.py beside this file (its docstring describes each recipe);
# scripts/images/minio/build.sh, when present, runs afterwards.  Options: --force,
# --force-rootfs, --list.  About 2 minutes the first time (debootstrap), < 2 s after.
#
# | tag(s)                                             | stand-in recipe   | why this recipe                                   |
# |----------------------------------------------------|-------------------|---------------------------------------------------|
# | busybox, busybox:latest                            | busybox           | busybox + glibc FROM scratch, all applets         |
# | alpine, alpine:latest, alpine:3.6, alpine:3.7,     | busybox           | Alpine is busybox + musl: sh (ash), awk, od, nc,  |
# |   alpine:3.23                                      |                   |   grep, seq, date, printf, uname, wget            |
# | docker/whalesay, docker/whalesay:latest            | whalesay          | busybox + a `cowsay` that draws a whale           |
# | debian, debian:latest, debian:8.9, debian:9.1,     | debian            | debootstrap rootfs: bash (scripts-bash runs bash  |
# |   debian:9.4, ubuntu:17.10                         |                   |   on debian:9.4), coreutils od, mawk, real os-release |
# | python:3.6, python:3.8                             | python            | Debian-based like the real ones; python3 3.11,    |
# |                                                    |                   |   `python` symlink                                |
# | python:alpine3.6, python:alpine3.23                | python-alpine     | python3 + /bin/sh = busybox ash (as on Alpine)    |
# | node:9.1-alpine                                    | node-alpine       | Debian's nodejs 18 + /bin/sh = busybox ash        |
# | appropriate/curl, appropriate/curl:latest          | curl-appropriate  | real curl, sh = ash ($RANDOM, `>& file`),         |
# |                                                    |                   |   ENTRYPOINT curl                                 |
# | curlimages/curl, curlimages/curl:latest            | curl-curlimages   | as above, ENTRYPOINT /entrypoint.sh CMD curl      |
# | stedolan/jq, stedolan/jq:latest                    | jq                | sh + jq 1.6, ENTRYPOINT jq                        |
# | argoproj/argosay:v2                                | argosay-v2        | ENTRYPOINT /argosay (files/argosay) + cowsay, bash|
# | argoproj/argosay:v1                                | argosay-v1        | cowsay (a cow), bash; CMD cowsay                  |
# | nginx, nginx:latest, nginx:1.13                    | nginx             | Python stub: GET / on :80 -> "Welcome to nginx!"; |
# |                                                    |                   |   `nginx -g 'daemon off;'` works too              |
# | influxdb:1.2                                       | influxdb          | Python InfluxDB 1.x stub on :8086 (/ping, /write, |
# |                                                    |                   |   /query), default CMD or `influxd`               |
#
# Not provided: golang:* (go get / git clone need the internet), perl (inside a k8s Job
# manifest), docker:*-dind (privileged), containerA/B and my-awesome-cron-image (fictitious).
set -euo pipefail
exec python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build.py" "$@"
