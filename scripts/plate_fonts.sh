#!/usr/bin/env bash
# Installs the Debian font packages the plate recogniser is trained and validated with, once.
# Needs root and apt-get; elsewhere it says what to install. (plate_reader/training/fonts.py)
set -euo pipefail
packages=(fonts-dejavu-core fonts-liberation2 fonts-urw-base35 fonts-roboto fonts-freefont-ttf
          fonts-b612 fonts-noto-core fonts-firacode fonts-inter fonts-roadgeek fonts-opendin)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "plate fonts missing; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
