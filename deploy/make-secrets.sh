#!/usr/bin/env bash
# make-secrets.sh [DIR] — creates the secret files of the docker compose deployment (default: deploy/secrets/),
# random values, one file a secret. A file that exists is kept, so running it again changes nothing.
#
# The directory is private to you (0700); the files inside are readable (0644) because docker compose mounts them
# as they are into containers that run as uid 10001, not as you.
set -euo pipefail

dir=${1:-"$(dirname "$0")/secrets"}
SECRETS=(admin_token key_passphrase management_token postgres_password)

random_value() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

mkdir -p "$dir"
chmod 0700 "$dir"
for name in "${SECRETS[@]}"; do
    file=$dir/$name
    if [[ -s $file ]]; then
        echo "kept    $file"
        continue
    fi
    (umask 022 && random_value >"$file.tmp")
    mv -f "$file.tmp" "$file"
    echo "created $file"
done
