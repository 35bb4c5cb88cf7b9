#!/bin/sh
# PostgreSQL restore_command: decrypt one archived WAL segment written by wal_archive.sh.
#
#   restore_command = '/opt/qenex/scripts/wal_restore.sh %f %p /var/backups/qenex/wal /etc/qenex/backup.key'
#
# A segment that is not in the archive exits non-zero, which is how recovery learns the archive's end.
set -eu
file_name=$1
destination=$2
archive_dir=$3
key_file=$4
source="$archive_dir/$file_name.gpg"
[ -f "$source" ] || exit 1
GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'rm -rf "$GNUPGHOME"' EXIT
gpg --batch --quiet --no-tty --pinentry-mode loopback --yes --passphrase-file "$key_file" --decrypt --output "$destination" \
    "$source"
