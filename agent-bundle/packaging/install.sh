#!/bin/sh
# Installs a Coldroot agent package on this host, after verifying it.
#
#   sh install.sh [PACKAGE] --root-sha256 HEX [--prefix DIR] [--user NAME] [--no-systemd] [--runtime auto|node|sea]
#
# PACKAGE is the extracted package folder (default: the folder holding this script) or the
# package file itself (it is unpacked into a temporary folder). HEX is the SHA-256 fingerprint of
# the Coldroot root certificate, obtained out of band (printed by `coldroot agent package`); give
# it once per certificate in trust/anchors.pem. Nothing is installed unless every check passes:
#   1. every certificate in trust/anchors.pem has a fingerprint given with --root-sha256;
#   2. manifest.p7s is a valid CMS signature over manifest.json chaining to those anchors (openssl);
#   3. manifest.json is an agent-package manifest and every file matches its size and SHA-256,
#      with no file that the manifest does not list.
# Step 3 runs with node (which the agent needs anyway), else python3 (COLDROOT_VERIFIER=node|python3
# forces one). The agent runs on node (20+) when the host has it, else on the package's single
# executable (agent/coldroot-agent, present when the console's build machine could make one);
# --runtime node|sea chooses. Re-running it is safe: files are replaced atomically, the user is created once.
set -eu

umask 077
PROG=install.sh
AGENT_USER=coldroot-agent
PREFIX=
SYSTEMD=yes
ROOTS=
PACKAGE=
UNIT_NAME=coldroot-agent.service
RUNTIME=auto

fail() { printf '%s: error: %s\n' "$PROG" "$1" >&2; [ -n "${2:-}" ] && printf '%s: hint: %s\n' "$PROG" "$2" >&2; exit "${3:-1}"; }
usage() { fail "$1" 'usage: sh install.sh [PACKAGE] --root-sha256 HEX [--prefix DIR] [--user NAME] [--no-systemd] [--runtime auto|node|sea]' 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root-sha256) [ $# -ge 2 ] || usage '--root-sha256 needs a value'
      hex=$(printf '%s' "$2" | tr -d ':' | tr 'ABCDEF' 'abcdef')
      case "$hex" in *[!0-9a-f]*|'') usage "--root-sha256 '$2' is not a hexadecimal SHA-256 fingerprint" ;; esac
      [ ${#hex} -eq 64 ] || usage "--root-sha256 '$2' is not 64 hex digits (a SHA-256 fingerprint)"
      ROOTS="$ROOTS $hex"; shift 2 ;;
    --prefix) [ $# -ge 2 ] || usage '--prefix needs a folder'; PREFIX=$2; shift 2 ;;
    --user) [ $# -ge 2 ] || usage '--user needs a name'; AGENT_USER=$2; shift 2 ;;
    --no-systemd) SYSTEMD=no; shift ;;
    --runtime) [ $# -ge 2 ] || usage '--runtime needs auto, node or sea'
      case "$2" in auto|node|sea) RUNTIME=$2 ;; *) usage "--runtime '$2' is not auto, node or sea" ;; esac; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) usage "unknown option $1" ;;
    *) [ -z "$PACKAGE" ] || usage "more than one package given ($PACKAGE, $1)"; PACKAGE=$1; shift ;;
  esac
done
[ -n "$ROOTS" ] || usage 'give the root fingerprint with --root-sha256 HEX (from the operator, out of band)'
case "$AGENT_USER" in ''|*[!A-Za-z0-9._-]*) usage "--user '$AGENT_USER' is not a valid user name" ;; esac
[ -n "$PACKAGE" ] || PACKAGE=$(dirname "$0")
command -v openssl >/dev/null 2>&1 || fail 'openssl is needed to verify the package signature' 'Install it (apt-get install openssl / dnf install openssl)'

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coldroot-agent-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
if [ -f "$PACKAGE" ]; then
  mkdir "$WORK/pkg"
  tar -xf "$PACKAGE" -C "$WORK/pkg" 2>"$WORK/tar.err" || fail "cannot unpack $PACKAGE: $(cat "$WORK/tar.err")" 'Give the .bundle file written by coldroot agent package, or its extracted folder'
  PKG=$WORK/pkg
elif [ -d "$PACKAGE" ]; then
  PKG=$PACKAGE
else
  fail "no package at $PACKAGE" 'Give the package file or the folder it was extracted into'
fi
for f in manifest.json manifest.p7s trust/anchors.pem; do
  [ -f "$PKG/$f" ] || fail "$PKG/$f is missing: this is not a complete agent package" 'Extract the whole package again (tar -xf FILE)'
done

# The file verifier: prints one "anchor <sha256>" line per certificate in trust/anchors.pem.
VERIFY_JS='
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const dir = process.argv[1];
const die = (m) => { process.stderr.write(m + "\n"); process.exit(3); };
let m;
try { m = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")); } catch (e) { die("manifest.json is not JSON: " + e.message); }
if (m.type !== "agent-package") die("manifest.json says this is a " + JSON.stringify(m.type) + " bundle, not an agent-package");
if (m.formatVersion !== 1) die("manifest.json has formatVersion " + JSON.stringify(m.formatVersion) + "; this installer reads 1");
if (!Array.isArray(m.files)) die("manifest.json lists no files");
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$/;
const listed = new Set(["manifest.json", "manifest.p7s"]);
for (const f of m.files) {
  if (typeof f.name !== "string" || !NAME.test(f.name) || listed.has(f.name)) die("manifest.json lists an invalid or repeated name " + JSON.stringify(f.name));
  listed.add(f.name);
  const p = path.join(dir, f.name);
  let st;
  try { st = fs.lstatSync(p); } catch { die(f.name + " is listed in manifest.json but missing"); }
  if (!st.isFile()) die(f.name + " is not a regular file");
  if (st.size !== f.size) die(f.name + " is " + st.size + " bytes; manifest.json says " + f.size);
  const h = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
  if (h !== f.sha256) die(f.name + " does not match its SHA-256 in manifest.json: it was altered after signing");
}
const walk = (rel) => {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? rel + "/" + e.name : e.name;
    if (e.isDirectory()) walk(r);
    else if (!listed.has(r)) die(r + " is in the package but not listed in manifest.json");
  }
};
walk("");
const pem = fs.readFileSync(path.join(dir, "trust/anchors.pem"), "utf8");
const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
if (!blocks.length) die("trust/anchors.pem holds no certificate");
for (const b of blocks) process.stdout.write("anchor " + crypto.createHash("sha256").update(Buffer.from(b[1].replace(/\s+/g, ""), "base64")).digest("hex") + "\n");
'
VERIFY_PY='
import base64, hashlib, json, os, re, stat, sys
d = sys.argv[1]
def die(m):
    sys.stderr.write(m + "\n"); sys.exit(3)
try:
    m = json.load(open(os.path.join(d, "manifest.json"), encoding="utf-8"))
except Exception as e:
    die("manifest.json is not JSON: %s" % e)
if m.get("type") != "agent-package": die("manifest.json says this is a %s bundle, not an agent-package" % json.dumps(m.get("type")))
if m.get("formatVersion") != 1: die("manifest.json has formatVersion %s; this installer reads 1" % json.dumps(m.get("formatVersion")))
if not isinstance(m.get("files"), list): die("manifest.json lists no files")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$")
listed = {"manifest.json", "manifest.p7s"}
for f in m["files"]:
    n = f.get("name")
    if not isinstance(n, str) or not NAME.match(n) or n in listed: die("manifest.json lists an invalid or repeated name %s" % json.dumps(n))
    listed.add(n)
    p = os.path.join(d, n)
    try: st = os.lstat(p)
    except OSError: die(n + " is listed in manifest.json but missing")
    if not stat.S_ISREG(st.st_mode): die(n + " is not a regular file")
    if st.st_size != f.get("size"): die("%s is %d bytes; manifest.json says %s" % (n, st.st_size, f.get("size")))
    if hashlib.sha256(open(p, "rb").read()).hexdigest() != f.get("sha256"): die(n + " does not match its SHA-256 in manifest.json: it was altered after signing")
for root, dirs, files in os.walk(d):
    for x in files:
        r = os.path.relpath(os.path.join(root, x), d).replace(os.sep, "/")
        if r not in listed: die(r + " is in the package but not listed in manifest.json")
pem = open(os.path.join(d, "trust/anchors.pem"), encoding="ascii").read()
blocks = re.findall(r"-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----", pem)
if not blocks: die("trust/anchors.pem holds no certificate")
for b in blocks: print("anchor " + hashlib.sha256(base64.b64decode(re.sub(r"\s+", "", b))).hexdigest())
'

VERIFIER=${COLDROOT_VERIFIER:-}
if [ -z "$VERIFIER" ]; then
  if command -v node >/dev/null 2>&1; then VERIFIER=node
  elif command -v python3 >/dev/null 2>&1; then VERIFIER=python3
  else fail 'neither node nor python3 is available to check the file hashes' 'Install Node.js 20 or later (the agent runs on it), then run install.sh again'
  fi
fi
case "$VERIFIER" in
  node) node -e "$VERIFY_JS" "$PKG" >"$WORK/anchors" 2>"$WORK/verify.err" || fail "package files: $(cat "$WORK/verify.err")" 'The package was altered or damaged; get a fresh copy from the operator' ;;
  python3) python3 -c "$VERIFY_PY" "$PKG" >"$WORK/anchors" 2>"$WORK/verify.err" || fail "package files: $(cat "$WORK/verify.err")" 'The package was altered or damaged; get a fresh copy from the operator' ;;
  *) usage "COLDROOT_VERIFIER must be node or python3, not '$VERIFIER'" ;;
esac

# 1. Every trust anchor is one the operator vouched for out of band.
while read -r _ fp; do
  case " $ROOTS " in *" $fp "*) ;; *) fail "trust/anchors.pem holds a certificate with SHA-256 fingerprint $fp, which is not one given with --root-sha256" 'Check the fingerprint with the operator over a channel you trust; do not install a package whose root you cannot confirm' ;; esac
done <"$WORK/anchors"

# 2. The manifest is signed by the console, under those anchors.
if ! openssl cms -verify -binary -inform DER -in "$PKG/manifest.p7s" -content "$PKG/manifest.json" -CAfile "$PKG/trust/anchors.pem" -purpose any -out /dev/null 2>"$WORK/cms.err"; then
  fail "the package signature (manifest.p7s) does not verify: $(tr '\n' ' ' <"$WORK/cms.err")" 'The package was altered, or signed by a console whose root is not the one given; get a fresh copy'
fi
# (3. ran above: with the manifest now authenticated, its hashes vouch for every file.)

# Which runtime the service uses: node 20+ with the bundle, or the single executable (no node needed).
SEA_FILE=$PKG/agent/coldroot-agent
NODE_OK=no
NODE_WHY='node is not installed'
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 20 ]; then NODE_OK=yes; else NODE_WHY="node $(node --version) is too old (the agent needs Node.js 20 or later)"; fi
fi
sea_runs() {
  cp "$SEA_FILE" "$WORK/coldroot-agent" && chmod 0755 "$WORK/coldroot-agent" && "$WORK/coldroot-agent" --help >/dev/null 2>"$WORK/sea.err"
}
if [ "$RUNTIME" = auto ]; then
  if [ "$NODE_OK" = yes ]; then RUNTIME=node
  elif [ -f "$SEA_FILE" ]; then RUNTIME=sea
  else RUNTIME=node
  fi
fi
if [ "$RUNTIME" = sea ]; then
  [ -f "$SEA_FILE" ] || fail 'this package holds no single executable (agent/coldroot-agent): the console could not build one' 'Install Node.js 20 or later and use --runtime node (the default when node is present)'
  sea_runs || fail "the package's single executable does not run on this host: $(tr '\n' ' ' <"$WORK/sea.err" 2>/dev/null)" 'It is built for the console machine'"'"'s OS and CPU; install Node.js 20 or later and use --runtime node'
elif [ "$NODE_OK" = no ]; then
  case "$NODE_WHY" in
    *'too old'*) fail "$NODE_WHY" 'Upgrade Node.js, then run install.sh again' ;;
    *) printf '%s: warning: %s; the agent needs Node.js 20 or later to run\n' "$PROG" "$NODE_WHY" >&2 ;;
  esac
fi

# --- install -------------------------------------------------------------------------------
OPT_DIR=$PREFIX/opt/coldroot-agent
STATE_DIR=$PREFIX/var/lib/coldroot-agent
UNIT_DIR=$PREFIX/etc/systemd/system
IS_ROOT=no
[ "$(id -u)" -eq 0 ] && IS_ROOT=yes

if id -u "$AGENT_USER" >/dev/null 2>&1; then
  :
elif [ "$IS_ROOT" = yes ]; then
  useradd --system --user-group --home-dir /var/lib/coldroot-agent --no-create-home --shell /usr/sbin/nologin "$AGENT_USER" \
    || fail "cannot create the system user $AGENT_USER" 'Create it yourself (useradd --system), then run install.sh again'
else
  fail "user $AGENT_USER does not exist and only root can create it" 'Run install.sh as root, or pass --user with an existing user'
fi
if [ "$IS_ROOT" = no ] && [ "$AGENT_USER" != "$(id -un)" ]; then
  fail "only root can install files owned by $AGENT_USER" "Run install.sh as root, or pass --user $(id -un) for a staging install under --prefix"
fi
AGENT_GROUP=$(id -gn "$AGENT_USER")

# put SRC DEST MODE OWNER: copy beside DEST, set mode and owner, then rename over DEST (atomic).
put() {
  tmp="$2.install-$$"
  cp "$1" "$tmp"
  chmod "$3" "$tmp"
  [ "$IS_ROOT" = yes ] && chown "$4" "$tmp"
  mv -f "$tmp" "$2"
}
mkdir -p "$OPT_DIR" "$STATE_DIR/trust" "$STATE_DIR/bootstrap"
chmod 0755 "$OPT_DIR"
chmod 0750 "$STATE_DIR"
chmod 0755 "$STATE_DIR/trust"
chmod 0700 "$STATE_DIR/bootstrap"
if [ "$IS_ROOT" = yes ]; then
  chown root:root "$OPT_DIR"
  chown "$AGENT_USER:$AGENT_GROUP" "$STATE_DIR" "$STATE_DIR/trust" "$STATE_DIR/bootstrap"
fi
put "$PKG/agent/coldroot-agent.mjs" "$OPT_DIR/coldroot-agent.mjs" 0644 root:root
if [ "$RUNTIME" = sea ]; then put "$SEA_FILE" "$OPT_DIR/coldroot-agent" 0755 root:root; fi
put "$PKG/config.json" "$STATE_DIR/config.json" 0640 "$AGENT_USER:$AGENT_GROUP"
put "$PKG/trust/anchors.pem" "$STATE_DIR/trust/anchors.pem" 0644 "$AGENT_USER:$AGENT_GROUP"
put "$PKG/bootstrap/cert.pem" "$STATE_DIR/bootstrap/cert.pem" 0644 "$AGENT_USER:$AGENT_GROUP"
put "$PKG/bootstrap/key.pem" "$STATE_DIR/bootstrap/key.pem" 0600 "$AGENT_USER:$AGENT_GROUP"

# The unit names the agent user and the runtime: this host's node with the bundle, or the single executable.
NODE_BIN=$(command -v node 2>/dev/null || echo /usr/bin/node)
if [ "$RUNTIME" = sea ]; then
  EXEC_SED='s#^ExecStart=/usr/bin/node /opt/coldroot-agent/coldroot-agent.mjs #ExecStart=/opt/coldroot-agent/coldroot-agent #'
else
  EXEC_SED="s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #"
fi
sed -e "s#^User=.*#User=$AGENT_USER#" -e "s#^Group=.*#Group=$AGENT_GROUP#" -e "$EXEC_SED" \
  "$PKG/coldroot-agent.service" >"$WORK/unit"
mkdir -p "$UNIT_DIR"
put "$WORK/unit" "$UNIT_DIR/$UNIT_NAME" 0644 root:root

if [ "$SYSTEMD" = yes ]; then
  command -v systemctl >/dev/null 2>&1 || fail 'systemctl is not available' 'Pass --no-systemd and start the agent yourself: node /opt/coldroot-agent/coldroot-agent.mjs run'
  systemctl daemon-reload
  systemctl enable "$UNIT_NAME"
  systemctl restart "$UNIT_NAME"
fi
printf 'Installed the Coldroot agent for %s into %s (state %s, runtime %s)%s\n' "$AGENT_USER" "${PREFIX:-/}" "$STATE_DIR" "$RUNTIME" "$([ "$SYSTEMD" = yes ] && echo ', service enabled and started' || echo ', systemd skipped')"
