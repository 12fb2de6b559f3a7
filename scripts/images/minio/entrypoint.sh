#!/bin/sh
# MinIO's container interface, served by SeaweedFS (localflow's offline stand-in image).
#   [minio] server DIR [--address :9000] [--console-address :9001]
#   env MINIO_ROOT_USER / MINIO_ROOT_PASSWORD (letters, digits, '-' and '_')
# The console address is accepted and ignored: there is no console.
set -e
[ "$1" = "minio" ] && shift
if [ "$1" != "server" ]; then
  exec "$@"
fi
shift
dir=""
address=":9000"
while [ $# -gt 0 ]; do
  case "$1" in
    --address) address="$2"; shift 2 ;;
    --address=*) address="${1#*=}"; shift ;;
    --console-address) shift 2 ;;
    --console-address=*) shift ;;
    -*) shift ;;
    *) [ -z "$dir" ] && dir="$1"; shift ;;
  esac
done
dir="${dir:-/data}"
port="${address##*:}"
user="${MINIO_ROOT_USER:-minioadmin}"
password="${MINIO_ROOT_PASSWORD:-minioadmin}"
case "$user$password" in
  *[!A-Za-z0-9_-]*) echo "MINIO_ROOT_USER/PASSWORD: only letters, digits, '-' and '_' here" >&2; exit 1 ;;
esac
mkdir -p "$dir" /tmp
cat > /tmp/s3.json <<JSON
{"identities":[{"name":"root","credentials":[{"accessKey":"$user","secretKey":"$password"}],
 "actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
# Two processes: master+volume+filer first, then the S3 gateway once the master knows the
# volume server (so data kept from an earlier run is readable when S3 answers).
# -master.resumeState=false: no raft state to re-elect from on restart (a quick start); the
# filer metadata and the volumes under $dir persist.
/usr/bin/weed -logtostderr=true server -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 -filer \
  -master.resumeState=false -master.volumeSizeLimitMB=256 -volume.max=0 -volume.preStopSeconds=0 &
server_pid=$!
tries=0
until wget -q -O - http://127.0.0.1:9333/dir/status 2>/dev/null | grep -q '"DataNodes":\[{'; do
  kill -0 "$server_pid" 2>/dev/null || exit 1
  tries=$((tries + 1))
  [ "$tries" -gt 600 ] && break
  sleep 0.1
done
/usr/bin/weed -logtostderr=true s3 -ip.bind=0.0.0.0 -port="$port" -filer=127.0.0.1:8888 \
  -config=/tmp/s3.json -port.iceberg=0 -port.lance=0 &
s3_pid=$!

# weed's graceful stop waits 15 s for the filer's gRPC streams; give it 2 s, then kill.
stop() {
  kill -TERM "$s3_pid" "$server_pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    kill -0 "$server_pid" 2>/dev/null || kill -0 "$s3_pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  kill -KILL "$s3_pid" "$server_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT
while kill -0 "$server_pid" 2>/dev/null && kill -0 "$s3_pid" 2>/dev/null; do
  sleep 1
done
stop
