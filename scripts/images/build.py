#!/usr/bin/env python3
"""Build localflow's offline stand-in images (no registry needed).

No container registry is reachable from localflow's machines, so every image the examples
name is built here, FROM scratch or from a Debian rootfs made with debootstrap, and
tagged under the examples' names, but ONLY where that name is absent: an image a user
already has (pulled or built) under that name is never touched. Stand-ins carry the labels
`localflow.standin=true`, `localflow.standin.recipe=NAME` and `localflow.standin.hash=H`;
a stand-in whose recipe hash changed is rebuilt and re-tagged.

Recipes (the per-tag table is TAGS below; scripts/images/build.sh repeats it):
  busybox      FROM scratch: Debian's busybox 1.35 (+ the glibc files it links to) with
               every applet linked into /bin, /sbin, /usr/bin, /usr/sbin; /bin/date wraps
               busybox date to accept `-d yesterday` / `-d '2 days ago'`; /usr/bin/nc
               wraps busybox nc to accept -k (`nc -lk -p 9999 -e /bin/true`);
               /etc/os-release, /etc/passwd (root, nobody), /etc/group, /tmp 1777.  CMD sh.
  whalesay     busybox + `cowsay` (sh + awk) printing a whale.  CMD sh.
  rootfs       (internal) debootstrap bookworm minbase + python3, curl, jq, bash,
               ca-certificates, procps, nodejs; `python` -> python3; apt caches,
               docs, man pages and locales removed.  Cached as
               localflow-standin/rootfs:HASH, rebuilt only when missing or changed.
  debian       rootfs, CMD bash (/bin/sh is dash, as in Debian).
  python       rootfs, CMD python3, LANG=C.UTF-8.
  alpine-sh    (internal) rootfs with /bin/sh -> busybox ash (as in Alpine-based images:
               $RANDOM, `>& file`), busybox applets for commands Debian lacks (nc (the
               wrapper above), wget...).
  python-alpine  alpine-sh, CMD python3, LANG=C.UTF-8.
  node-alpine  alpine-sh, CMD node (Debian's nodejs 18).
  curl-appropriate  alpine-sh, ENTRYPOINT ["curl"] (as appropriate/curl).
  curl-curlimages   alpine-sh, ENTRYPOINT ["/entrypoint.sh"] CMD ["curl"] (as curlimages/curl:
               runs its arguments, or curl with them when they start with "-").
  jq           rootfs, ENTRYPOINT ["jq"] (as stedolan/jq).
  argosay-v2   rootfs + /argosay (files/argosay) + cowsay (a cow), ENTRYPOINT ["/argosay"].
  argosay-v1   rootfs + cowsay (a cow, also /usr/games/cowsay), CMD ["cowsay"].
  nginx        rootfs + files/nginx_stub.py run by /usr/sbin/nginx (arguments ignored): port
               80, GET / -> 200 "Welcome to nginx!".  CMD ["nginx", "-g", "daemon off;"].
  influxdb     rootfs + files/influxdb_stub.py run by /usr/bin/influxd: port 8086, /ping,
               /write, /query (in memory).  CMD ["influxd"].

Not provided (see NOT_PROVIDED): golang:*, perl, docker:*-dind, ... (they need the internet,
a Kubernetes cluster or privileged containers in the workflows that use them).

Usage: build.py [--force] [--force-rootfs] [--list] [--table]
  --force  rebuild every stand-in recipe but the rootfs (real images are never touched)
  --force-rootfs  rebuild the debootstrap rootfs as well
  --list   print the tag -> recipe table and exit (no Docker needed)
  --table  print the tag / recipe / status table even when nothing had to be built
Environment:
  LOCALFLOW_IMAGES_PULL=1      try `docker pull NAME` before building a stand-in for an
                               absent NAME (off by default: no registry is reachable here)
  LOCALFLOW_DEBIAN_MIRROR=URL  the mirror for debootstrap (default: the one apt uses)
  LOCALFLOW_SKIP_MINIO=1       do not run scripts/images/minio/build.sh afterwards
"""
import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
RECIPE_VERSION = "1"  # bump to rebuild every stand-in
CANONICAL = "localflow-standin/"
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SUITE = "bookworm"
ROOTFS_PACKAGES = ["python3", "curl", "jq", "bash", "ca-certificates", "procps", "nodejs"]
LABEL = "localflow.standin"

# tag -> recipe.  A tag is only created when no image of that name exists yet.
TAGS = {
    "busybox": "busybox",
    "busybox:latest": "busybox",
    "alpine": "busybox",
    "alpine:latest": "busybox",
    "alpine:3.6": "busybox",
    "alpine:3.7": "busybox",
    "alpine:3.23": "busybox",
    "docker/whalesay": "whalesay",
    "docker/whalesay:latest": "whalesay",
    "debian": "debian",
    "debian:latest": "debian",
    "debian:8.9": "debian",
    "debian:9.1": "debian",
    "debian:9.4": "debian",
    "ubuntu:17.10": "debian",
    "python:3.6": "python",
    "python:3.8": "python",
    "python:alpine3.6": "python-alpine",
    "python:alpine3.23": "python-alpine",
    "node:9.1-alpine": "node-alpine",
    "appropriate/curl": "curl-appropriate",
    "appropriate/curl:latest": "curl-appropriate",
    "curlimages/curl": "curl-curlimages",
    "curlimages/curl:latest": "curl-curlimages",
    "stedolan/jq": "jq",
    "stedolan/jq:latest": "jq",
    "argoproj/argosay:v2": "argosay-v2",
    "argoproj/argosay:v1": "argosay-v1",
    "nginx": "nginx",
    "nginx:latest": "nginx",
    "nginx:1.13": "nginx",
    "influxdb:1.2": "influxdb",
}

# Images the examples name that get no stand-in, and why.
NOT_PROVIDED = {
    "golang": "go toolchain + internet (go get, git clone): CI examples only",
    "perl": "only inside a Kubernetes Job manifest (k8s-jobs), needs a cluster",
    "docker": "docker:*-dind needs privileged containers (sidecar-dind)",
    "containerA": "deliberately fictitious (global-parameters)",
    "containerB": "deliberately fictitious (global-parameters)",
    "my-awesome-cron-image": "fictitious (k8s-patch, a cluster resource)",
}

OS_RELEASE = """NAME="BusyBox"
ID=busybox
ID_LIKE=alpine
VERSION_ID=1.35.0
PRETTY_NAME="BusyBox 1.35.0 (localflow stand-in for busybox and alpine)"
HOME_URL="https://busybox.net/"
LOCALFLOW_STANDIN=busybox
"""
PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
nogroup:x:65534:
nobody:x:65534:
"""
NGINX_CMD = """#!/bin/sh
# localflow stand-in: nginx's arguments (-g 'daemon off;', -c FILE) are ignored.
exec python3 /usr/local/lib/localflow/nginx_stub.py "$@"
"""
INFLUXD_CMD = """#!/bin/sh
# localflow stand-in: `influxd [run] [-config F]` serves the InfluxDB 1.x HTTP API on :8086.
exec python3 /usr/local/lib/localflow/influxdb_stub.py "$@"
"""
CURL_ENTRYPOINT = """#!/bin/sh
# localflow stand-in for curlimages/curl's entrypoint: run the arguments as a command,
# or curl with them when there are none or the first one is an option.
set -e
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then
  set -- curl "$@"
fi
exec "$@"
"""
ALPINE_SH_SETUP = r"""set -e
chmod 755 /usr/bin/busybox
for a in $(/usr/bin/busybox --list); do
  case $a in busybox|linuxrc|init|sh|ash) continue ;; esac
  for d in /usr/bin /usr/sbin /usr/local/bin; do
    [ -e "$d/$a" ] && continue 2
  done
  ln -s /usr/bin/busybox "/usr/local/bin/$a"
done
ln -sf busybox /usr/bin/ash
ln -sf busybox /usr/bin/sh
"""
ROOTFS_CLEANUP = [
    "var/cache/apt/archives", "var/cache/apt/*.bin", "var/lib/apt/lists", "usr/share/doc",
    "usr/share/man", "usr/share/info", "usr/share/locale", "var/log/*", "etc/resolv.conf",
    "etc/hostname", "etc/machine-id", "var/cache/debconf/*-old", "var/lib/dpkg/*-old",
]


class Recipe:
    def __init__(self, name, parent, dockerfile, files=None, doc=""):
        self.name = name
        self.parent = parent          # recipe name, or None for FROM scratch / the rootfs
        self.dockerfile = dockerfile  # "{parent}" is replaced by the parent's image
        self.files = files or {}      # context name -> (Path or str content, mode)
        self.doc = doc
        self._hash = None

    def hash(self):
        if self._hash is None:
            h = hashlib.sha256()
            h.update(("%s\0%s\0%s\0" % (RECIPE_VERSION, self.name, self.dockerfile)).encode())
            if self.name == "rootfs":
                h.update(("%s\0%s\0%s" % (SUITE, ",".join(ROOTFS_PACKAGES),
                                          ",".join(ROOTFS_CLEANUP))).encode())
            for ctx_name in sorted(self.files):
                src, mode = self.files[ctx_name]
                data = Path(src).read_bytes() if isinstance(src, Path) else src.encode()
                h.update(("%s\0%o\0" % (ctx_name, mode)).encode())
                h.update(hashlib.sha256(data).digest())
            if self.parent:
                h.update(RECIPES[self.parent].hash().encode())
            self._hash = h.hexdigest()[:16]
        return self._hash

    def image(self):
        return "%s%s:%s" % (CANONICAL, self.name, self.hash())


_BUSYBOX = None


def _busybox():
    """Debian's (dynamically linked) busybox and the libraries it needs.

    Returns (binary, [(library on this host, its path inside the image)]).  The dynamic
    build is used, not busybox-static: the static one's ash runs its own applets before
    PATH, so a /bin/date wrapper could never be reached, and Alpine's busybox does look
    in PATH.  When the host has no dynamic busybox, Debian's package is downloaded and
    unpacked into /var/cache/localflow (nothing is installed on the host)."""
    global _BUSYBOX
    if _BUSYBOX is not None:
        return _BUSYBOX
    binary = None
    for cand in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(cand) and not _is_static_elf(cand):
            binary = Path(cand)
            break
    if binary is None:
        cache = Path(os.environ.get("LOCALFLOW_CACHE", "/var/cache/localflow")) / "busybox"
        binary = cache / "bin" / "busybox"
        if not binary.exists():
            cache.mkdir(parents=True, exist_ok=True)
            dl = Path(tempfile.mkdtemp(prefix="localflow-busybox-"))
            os.chmod(dl, 0o755)
            try:
                cmd = ["apt-get", "download", "busybox"]
                if _run(cmd, cwd=dl, check=False, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode != 0:
                    _apt_update()
                    _run(cmd, cwd=dl, stdout=subprocess.DEVNULL)
                deb = next(dl.glob("busybox_*.deb"))
                _run(["dpkg-deb", "-x", str(deb), str(cache)])
            finally:
                shutil.rmtree(dl, ignore_errors=True)
        if not binary.exists():
            sys.exit("build.py: Debian's busybox package did not provide bin/busybox")
    libs = []
    out = _run(["ldd", str(binary)], stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x", line)
        if m:
            libs.append((Path(os.path.realpath(m.group(1))), m.group(1)))
    _BUSYBOX = (binary, libs)
    return _BUSYBOX


def _is_static_elf(path):
    """True for an ELF executable without a PT_INTERP program header."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only (amd64/arm64)
                return False
            endian = "<" if head[5] == 1 else ">"
            phoff, = struct.unpack(endian + "Q", head[32:40])
            phentsize, phnum = struct.unpack(endian + "HH", head[54:58])
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                p_type, = struct.unpack(endian + "I", f.read(4))
                if p_type == 3:
                    return False
            return True
    except (OSError, struct.error):
        return False


def _recipes():
    sh, data = 0o755, 0o644
    env_path = 'ENV PATH=' + PATH_ENV
    r = {}

    def add(recipe):
        r[recipe.name] = recipe

    bb_binary, bb_libs = _busybox()
    lib_files = {"lib%d" % i: (src, 0o755) for i, (src, _) in enumerate(bb_libs)}
    lib_copies = "".join("COPY lib%d %s\n" % (i, dest) for i, (_, dest) in enumerate(bb_libs))
    add(Recipe("busybox", None, f"""FROM scratch
COPY busybox /bin/busybox
{lib_copies}COPY date nc os-release passwd group /etc/
RUN ["/bin/busybox", "sh", "-c", "set -e; export PATH=/bin; busybox mkdir -p /usr/bin /sbin /usr/sbin /usr/local/bin /usr/local/sbin /root /tmp /var/tmp /home /run /var/log; busybox --install -s; rm /bin/date /usr/bin/nc; mv /etc/date /bin/date; mv /etc/nc /usr/bin/nc; chmod 1777 /tmp /var/tmp; chmod 700 /root"]
{env_path}
CMD ["sh"]
""", dict(lib_files, **{"busybox": (bb_binary, sh), "date": (FILES / "date", sh),
                        "nc": (FILES / "nc", sh), "os-release": (OS_RELEASE, data), "passwd": (PASSWD, data),
                        "group": (GROUP, data)}),
        "busybox (sh, awk, od, nc, grep, seq, date, wget...) + its glibc, FROM scratch"))
    add(Recipe("whalesay", "busybox", """FROM {parent}
COPY cowsay /usr/local/bin/cowsay
COPY whale.cow /usr/share/cowsay/default.cow
COPY whale.cow /usr/share/cowsay/whale.cow
CMD ["sh"]
""", {"cowsay": (FILES / "cowsay", sh), "whale.cow": (FILES / "whale.cow", data)},
        "busybox + cowsay (whale)"))
    add(Recipe("rootfs", None, "debootstrap --variant=minbase", {},
               "Debian bookworm minbase + " + ", ".join(ROOTFS_PACKAGES)))
    add(Recipe("debian", "rootfs", """FROM {parent}
CMD ["bash"]
""", {}, "Debian bookworm rootfs (bash, dash, coreutils, python3, curl, jq, node)"))
    add(Recipe("python", "rootfs", """FROM {parent}
ENV LANG=C.UTF-8
CMD ["python3"]
""", {}, "Debian rootfs, python -> python3 3.11"))
    add(Recipe("alpine-sh", "rootfs", """FROM {parent}
COPY busybox /usr/bin/busybox
COPY nc /usr/local/bin/nc
COPY setup.sh /tmp/setup.sh
RUN sh /tmp/setup.sh && rm /tmp/setup.sh
""", {"busybox": (bb_binary, sh), "nc": (FILES / "nc", sh), "setup.sh": (ALPINE_SH_SETUP, data)},
        "Debian rootfs with /bin/sh = busybox ash"))
    add(Recipe("python-alpine", "alpine-sh", """FROM {parent}
ENV LANG=C.UTF-8
CMD ["python3"]
""", {}, "Debian rootfs, sh = busybox ash, python3 3.11"))
    add(Recipe("node-alpine", "alpine-sh", """FROM {parent}
CMD ["node"]
""", {}, "Debian rootfs, sh = busybox ash, node 18"))
    add(Recipe("curl-appropriate", "alpine-sh", """FROM {parent}
ENTRYPOINT ["curl"]
""", {}, "Debian rootfs, sh = busybox ash, ENTRYPOINT curl"))
    add(Recipe("curl-curlimages", "alpine-sh", """FROM {parent}
COPY entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
CMD ["curl"]
""", {"entrypoint.sh": (CURL_ENTRYPOINT, sh)},
        "Debian rootfs, sh = busybox ash, curl via /entrypoint.sh"))
    add(Recipe("jq", "rootfs", """FROM {parent}
ENTRYPOINT ["jq"]
""", {}, "Debian rootfs, ENTRYPOINT jq"))
    add(Recipe("argosay-v2", "rootfs", """FROM {parent}
COPY argosay /argosay
COPY cowsay /usr/local/bin/cowsay
COPY cow.cow /usr/share/cowsay/default.cow
ENTRYPOINT ["/argosay"]
""", {"argosay": (FILES / "argosay", sh), "cowsay": (FILES / "cowsay", sh),
      "cow.cow": (FILES / "cow.cow", data)}, "Debian rootfs + /argosay + cowsay"))
    add(Recipe("argosay-v1", "rootfs", """FROM {parent}
COPY cowsay /usr/games/cowsay
COPY cowsay /usr/local/bin/cowsay
COPY cow.cow /usr/share/cowsay/default.cow
ENV PATH=""" + PATH_ENV + """:/usr/games
CMD ["cowsay"]
""", {"cowsay": (FILES / "cowsay", sh), "cow.cow": (FILES / "cow.cow", data)},
        "Debian rootfs + cowsay, CMD cowsay"))
    add(Recipe("nginx", "rootfs", """FROM {parent}
COPY nginx_stub.py /usr/local/lib/localflow/nginx_stub.py
COPY nginx /usr/sbin/nginx
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
""", {"nginx_stub.py": (FILES / "nginx_stub.py", data), "nginx": (NGINX_CMD, sh)},
        "Python HTTP stub on :80 (Welcome to nginx!)"))
    add(Recipe("influxdb", "rootfs", """FROM {parent}
COPY influxdb_stub.py /usr/local/lib/localflow/influxdb_stub.py
COPY influxd /usr/bin/influxd
RUN mkdir -p /var/lib/influxdb
EXPOSE 8086
CMD ["influxd"]
""", {"influxdb_stub.py": (FILES / "influxdb_stub.py", data), "influxd": (INFLUXD_CMD, sh)},
        "Python InfluxDB 1.x API stub on :8086 (in memory)"))
    return r


RECIPES = {}


# ---------------------------------------------------------------- helpers
def _run(cmd, check=True, **kw):
    proc = subprocess.run(cmd, **kw)
    if check and proc.returncode != 0:
        sys.exit("build.py: command failed (%d): %s" % (proc.returncode, " ".join(map(str, cmd))))
    return proc


_APT_UPDATED = False


def _apt_update():
    global _APT_UPDATED
    if not _APT_UPDATED:
        _run(["apt-get", "update", "-qq"], env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        _APT_UPDATED = True


def _ensure_command(command, package):
    if shutil.which(command):
        return
    print("build.py: installing %s (for %s)" % (package, command), flush=True)
    _apt_update()
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
         env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def normalise(ref):
    """`busybox` -> `busybox:latest`; `docker/whalesay` -> `docker/whalesay:latest`."""
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last or "@" in last else ref + ":latest"


def docker(*args, check=True, capture=True, **kw):
    if capture:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.run(["docker", *args], text=True, **kw)
    if check and proc.returncode != 0:
        sys.exit("build.py: docker %s failed:\n%s" % (" ".join(args), proc.stderr or ""))
    return proc


def inspect(refs):
    """{normalised ref: (image id, labels)} for those of refs that exist (one docker call)."""
    refs = sorted(set(normalise(r) for r in refs))
    proc = docker("image", "inspect", "--format",
                  "{{json .RepoTags}}\t{{.Id}}\t{{json .Config.Labels}}", *refs, check=False)
    found = {}
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        tags, image_id, labels = line.split("\t", 2)
        labels = json.loads(labels) or {}
        for tag in json.loads(tags) or []:
            found[tag] = (image_id, labels)
    if proc.returncode != 0 and not found and "No such image" not in proc.stderr:
        sys.exit("build.py: docker image inspect failed (is the engine running? "
                 "scripts/ensure-docker.sh):\n" + proc.stderr)
    return {r: found[r] for r in refs if r in found}


def debian_mirror():
    if os.environ.get("LOCALFLOW_DEBIAN_MIRROR"):
        return os.environ["LOCALFLOW_DEBIAN_MIRROR"]
    entries = []  # (uri, suites)
    paths = [Path("/etc/apt/sources.list")] + sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.strip()
                if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
                    continue
                for uri in fields.get("uris", "").split():
                    entries.append((uri, fields.get("suites", "").split()))
        elif path.suffix == ".list":
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", line)
                if m:
                    entries.append((m.group(1), [m.group(2)]))
    for uri, suites in entries:
        if SUITE in suites and "security" not in uri:
            return uri
    return "http://deb.debian.org/debian"


# ---------------------------------------------------------------- building
def build_rootfs(recipe):
    _ensure_command("debootstrap", "debootstrap")
    mirror = debian_mirror()
    log = Path("/var/tmp/localflow-debootstrap.log")
    work = Path(tempfile.mkdtemp(prefix="localflow-rootfs-", dir="/var/tmp"))
    root = work / "root"
    t0 = time.time()
    print("build.py: debootstrap %s minbase + %s from %s (about a minute; log %s)"
          % (SUITE, ",".join(ROOTFS_PACKAGES), mirror, log), flush=True)
    try:
        for attempt in (1, 2):
            with open(log, "w") as out:
                proc = _run(["debootstrap", "--variant=minbase",
                             "--include=" + ",".join(ROOTFS_PACKAGES), SUITE, str(root), mirror],
                            check=False, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            _unmount_below(root)
            if proc.returncode == 0:
                break
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print("build.py: debootstrap failed (attempt %d):\n  %s" % (attempt, "\n  ".join(tail)),
                  flush=True)
            if attempt == 2:
                sys.exit("build.py: debootstrap failed twice; see %s" % log)
            shutil.rmtree(root, ignore_errors=True)
        for pattern in ROOTFS_CLEANUP:
            for p in root.glob(pattern):
                if p.is_dir() and not p.is_symlink():
                    for child in p.iterdir():
                        if child.is_dir() and not child.is_symlink():
                            shutil.rmtree(child)
                        else:
                            child.unlink()
                else:
                    p.unlink()
        (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        py = root / "usr/bin/python"
        if not py.exists() and not py.is_symlink():
            py.symlink_to("python3")
        tar = subprocess.Popen(["tar", "-C", str(root), "--numeric-owner",
                                "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
                                "-c", "."], stdout=subprocess.PIPE)
        changes = ["ENV PATH=" + PATH_ENV, "CMD [\"bash\"]"] + [
            "LABEL %s=%s" % (k, v) for k, v in labels(recipe).items()]
        args = ["docker", "import"]
        for c in changes:
            args += ["--change", c]
        imp = subprocess.run(args + ["-", recipe.image()], stdin=tar.stdout,
                             stdout=subprocess.DEVNULL)
        tar.stdout.close()
        if tar.wait() != 0 or imp.returncode != 0:
            sys.exit("build.py: importing the rootfs into docker failed")
    finally:
        _unmount_below(root)
        shutil.rmtree(work, ignore_errors=True)
    print("build.py: rootfs image %s ready in %.0f s" % (recipe.image(), time.time() - t0), flush=True)


def _unmount_below(path):
    try:
        mounts = [line.split()[1] for line in open("/proc/mounts")]
    except OSError:
        return
    for m in sorted((m for m in mounts if m.startswith(str(path) + "/")), reverse=True):
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)


def labels(recipe):
    return {LABEL: "true", LABEL + ".recipe": recipe.name, LABEL + ".hash": recipe.hash()}


def build_recipe(recipe):
    if recipe.name == "rootfs":
        return build_rootfs(recipe)
    ctx = Path(tempfile.mkdtemp(prefix="localflow-image-"))
    try:
        parent = RECIPES[recipe.parent].image() if recipe.parent else "scratch"
        (ctx / "Dockerfile").write_text(recipe.dockerfile.replace("{parent}", parent))
        for name, (src, mode) in recipe.files.items():
            dest = ctx / name
            if isinstance(src, Path):
                shutil.copyfile(src, dest)
            else:
                dest.write_text(src)
            dest.chmod(mode)
        args = ["build", "-q", "--force-rm", "-t", recipe.image()]
        for k, v in labels(recipe).items():
            args += ["--label", "%s=%s" % (k, v)]
        proc = docker(*args, str(ctx), check=False,
                      env=dict(os.environ, DOCKER_CLI_HINTS="false"))
        if proc.returncode != 0:
            sys.exit("build.py: building %s failed:\n%s%s" % (recipe.name, proc.stdout, proc.stderr))
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
    print("build.py: built %s" % recipe.image(), flush=True)


def ensure(recipe, present, built):
    """Make sure recipe.image() exists, building it (and its parents) if needed."""
    if recipe.name in built or recipe.image() in present:
        return
    if recipe.parent:
        ensure(RECIPES[recipe.parent], present, built)
    build_recipe(recipe)
    built.add(recipe.name)


def plan_tags(tag_refs, found, hashes, force=False):
    """What to do with each tag: {ref: "absent" | "stale" | "ok" | "real image kept"}.

    tag_refs: {normalised ref: recipe name}; found: {ref: (image id, labels)} for the
    refs that exist; hashes: {recipe name: current recipe hash}.  Only images labelled
    localflow.standin=true are ever replaced ("stale"), never a user's own image."""
    plan = {}
    for ref, rname in tag_refs.items():
        if ref not in found:
            plan[ref] = "absent"
            continue
        labels_ = found[ref][1] or {}
        if labels_.get(LABEL) != "true":
            plan[ref] = "real image kept"
        elif force or labels_.get(LABEL + ".hash") != hashes[rname]:
            plan[ref] = "stale"
        else:
            plan[ref] = "ok"
    return plan


def print_table(rows):
    width = max(len(r[0]) for r in rows)
    rwidth = max(len(r[1]) for r in rows)
    print("%-*s  %-*s  %s" % (width, "image", rwidth, "stand-in recipe", "status"))
    for tag, recipe, status in rows:
        print("%-*s  %-*s  %s" % (width, tag, rwidth, recipe, status))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true",
                    help="rebuild every stand-in recipe (the debootstrap rootfs too with --force-rootfs)")
    ap.add_argument("--force-rootfs", action="store_true", help="rebuild the debootstrap rootfs")
    ap.add_argument("--list", action="store_true", help="print the tag table and exit")
    ap.add_argument("--table", action="store_true", help="print the tag/status table even when nothing changed")
    opts = ap.parse_args(argv)
    opts.force = opts.force or opts.force_rootfs
    t0 = time.time()

    if opts.list:
        for tag, name in TAGS.items():
            print("%-26s %-18s %s" % (tag, name, DOCS.get(name, "")))
        return 0

    if not shutil.which("docker"):
        sys.exit("build.py: no docker CLI; run scripts/ensure-docker.sh first")

    lock = open(os.path.join(tempfile.gettempdir(), "localflow-images.lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)

    RECIPES.update(_recipes())
    tag_refs = {normalise(t): r for t, r in TAGS.items()}
    canon = {r.image() for r in RECIPES.values()}
    found = inspect(list(tag_refs) + list(canon))
    present = {ref for ref in canon if ref in found}
    if opts.force:
        present = {ref for ref in present if ref == RECIPES["rootfs"].image()}
    if opts.force_rootfs:
        present.discard(RECIPES["rootfs"].image())

    plan = plan_tags(tag_refs, found, {n: r.hash() for n, r in RECIPES.items()}, opts.force)

    if os.environ.get("LOCALFLOW_IMAGES_PULL") == "1":
        for ref, status in plan.items():
            if status == "absent":
                proc = docker("pull", ref, check=False, timeout=300)
                if proc.returncode == 0:
                    plan[ref] = "pulled"

    built = set()
    changed = False
    for ref, status in plan.items():
        if status in ("absent", "stale"):
            recipe = RECIPES[tag_refs[ref]]
            ensure(recipe, present, built)
            docker("tag", recipe.image(), ref)
            plan[ref] = "built" if recipe.name in built else "tagged"
            changed = True

    if changed or built:
        # drop stand-in tags of older recipe versions, then dangling stand-in images
        listing = docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout
        for ref in listing.split():
            if ref.startswith(CANONICAL) and ref not in canon:
                docker("rmi", ref, check=False)
        docker("image", "prune", "-f", "--filter", "label=%s=true" % LABEL, check=False)

    rows = [(tag, rname, plan[normalise(tag)]) for tag, rname in TAGS.items()]
    if changed or opts.table:
        print_table(rows)
    else:
        real = sum(1 for r in rows if r[2] == "real image kept")
        print("build.py: all %d tags present (%d stand-ins up to date, %d real images kept); "
              "--table shows them" % (len(rows), len(rows) - real, real))
    print("build.py: stand-in images ready in %.1f s (%d recipe(s) built)"
          % (time.time() - t0, len(built)), flush=True)

    minio = HERE / "minio" / "build.sh"
    if minio.exists() and os.environ.get("LOCALFLOW_SKIP_MINIO") != "1":
        rc = subprocess.run(["bash", str(minio)]).returncode
        if rc != 0:
            print("build.py: %s failed with exit code %d" % (minio, rc), file=sys.stderr)
            return rc
    return 0


DOCS = {
    "busybox": "FROM scratch: busybox 1.35 (all applets) + glibc, os-release, passwd, /tmp",
    "whalesay": "busybox + cowsay (whale)",
    "debian": "debootstrap bookworm minbase + python3 curl jq bash procps nodejs; CMD bash",
    "python": "debian rootfs; python -> python3 (3.11); CMD python3",
    "python-alpine": "debian rootfs, /bin/sh = busybox ash; CMD python3",
    "node-alpine": "debian rootfs, /bin/sh = busybox ash; node 18; CMD node",
    "curl-appropriate": "debian rootfs, /bin/sh = busybox ash; ENTRYPOINT curl",
    "curl-curlimages": "debian rootfs, /bin/sh = busybox ash; ENTRYPOINT /entrypoint.sh, CMD curl",
    "jq": "debian rootfs; ENTRYPOINT jq",
    "argosay-v2": "debian rootfs + /argosay + cowsay (cow); ENTRYPOINT /argosay",
    "argosay-v1": "debian rootfs + cowsay (cow); CMD cowsay",
    "nginx": "debian rootfs + Python stub on :80 (GET / -> Welcome to nginx!)",
    "influxdb": "debian rootfs + Python InfluxDB 1.x API stub on :8086",
}

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. `build.sh --table | head`
        sys.exit(0)
