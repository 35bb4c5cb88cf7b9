#!/bin/sh
# PostgreSQL archive_command: encrypt one WAL segment (or history file) into the archive directory with gpg
# (AES-256, symmetric, passphrase read from a key file). Runs as the server's user, so it uses only /bin/sh and gpg.
#
#   archive_command = '/opt/qenex/scripts/wal_archive.sh %p %f /var/backups/qenex/wal /etc/qenex/backup.key'
#
# Exit 0 only once the encrypted copy is durably in place; a segment already archived is accepted only if it
# decrypts to the same bytes (PostgreSQL may retry a segment after a crash), never overwritten.
set -eu
source_path=$1
file_name=$2
archive_dir=$3
key_file=$4
target="$archive_dir/$file_name.gpg"
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'rm -rf "$GNUPGHOME"' EXIT
gpg_common="--batch --quiet --no-tty --pinentry-mode loopback --passphrase-file $key_file"
if [ -f "$target" ]; then
    # shellcheck disable=SC2086
    gpg $gpg_common --decrypt "$target" | cmp -s - "$source_path" && exit 0
    echo "wal_archive: $target exists with different content; refusing to overwrite" >&2
    exit 1
fi
# shellcheck disable=SC2086
gpg $gpg_common --symmetric --cipher-algo AES256 --compress-algo zlib --output "$target.tmp" "$source_path"
sync "$target.tmp" 2>/dev/null || true
mv "$target.tmp" "$target"
