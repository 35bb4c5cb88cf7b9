"""Create an ML-DSA-65 key file for signing audit checkpoints and print its public key fingerprint."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit import signing


class Command(BaseCommand):
    help = "Create an audit checkpoint signing key (ML-DSA-65 seed, mode 0600) and print its fingerprint."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="path of the new key file (must not exist)")

    def handle(self, *args, out: str, **options):
        path = Path(out)
        try:
            key = signing.write_key_file(path)
        except FileExistsError:
            raise CommandError(f"{path} exists already; refusing to overwrite a signing key") from None
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        public_raw = key.public_key().public_bytes_raw()
        pub_path = path.with_name(path.name + ".pub")
        pub_path.write_text(public_raw.hex() + "\n")
        self.stdout.write(f"private key (seed): {path}  (mode 0600; set {signing.KEY_FILE_ENV}={path})")
        self.stdout.write(f"public key (hex):   {pub_path}  (add to {signing.TRUSTED_KEYS_ENV} when rotating)")
        self.stdout.write(f"fingerprint:        {signing.fingerprint(public_raw)}")
