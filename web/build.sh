#!/usr/bin/env bash
# Builds the browser app into web/dist/, a static folder to serve from any host:
#   web/build.sh
#   python3 -m http.server 8080 --bind 127.0.0.1 --directory web/dist   # then open http://127.0.0.1:8080
# Needs the wasm32 target (rustup target add wasm32-unknown-unknown) and wasm-bindgen-cli at
# the wasm-bindgen version in Cargo.lock (the script prints the install command). wasm-opt
# (Debian's binaryen) shrinks the module further when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
install_hint="cargo install wasm-bindgen-cli --version $version"
if ! command -v wasm-bindgen >/dev/null; then
    echo "web/build.sh: wasm-bindgen is not installed; run: $install_hint" >&2
    exit 1
fi
installed=$(wasm-bindgen --version | awk '{ print $2 }')
if [ "$installed" != "$version" ]; then
    echo "web/build.sh: wasm-bindgen $installed is installed but Cargo.lock has $version; run: $install_hint" >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "web/build.sh: the wasm32 target is missing; run: rustup target add wasm32-unknown-unknown" >&2
    exit 1
fi

# A cdylib only for wasm: the native library stays an rlib.
cargo rustc --lib --release --features app --target wasm32-unknown-unknown --crate-type cdylib
dist=web/dist
rm -rf "$dist"
mkdir -p "$dist"
wasm-bindgen --target web --no-typescript --out-dir "$dist" --out-name wgzero \
    target/wasm32-unknown-unknown/release/wgzero.wasm
if command -v wasm-opt >/dev/null; then
    wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals "$dist/wgzero_bg.wasm" -o "$dist/wgzero_bg.wasm"
fi
cp web/index.html "$dist/"
wasm_bytes=$(stat -c %s "$dist/wgzero_bg.wasm")
gzip_bytes=$(gzip -9 -c "$dist/wgzero_bg.wasm" | wc -c)
echo "{\"wasm_bytes\": $wasm_bytes, \"wasm_gzip_bytes\": $gzip_bytes, \"dist\": \"$dist\"}"
