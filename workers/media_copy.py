"""A job's media as a local file, for ffmpeg.

On local storage that is the stored file itself. From an object store (or any
storage without paths) the worker copies the object into a folder of its own
under WORKER_TEMP_DIR, checked first against WORKER_TEMP_MAX_BYTES and the free
space there, verified against the sha256 taken at upload, and removed with the
folder when the job ends. A worker host needs no shared disk.
"""

import hashlib
import logging
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

# Left free beside a copy, for ffmpeg's and the system's own small files.
FREE_SPACE_MARGIN_BYTES = 64 * 1024 * 1024
OWNER_FILE = ".owner"  # "host pid" of the worker that made a job folder


class MediaCopyError(Exception):
    """The media could not be copied to this worker; the message is for operators."""


def worker_temp_root():
    root = Path(settings.WORKER_TEMP_DIR or tempfile.gettempdir()) / "speechsite-jobs"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def job_folder():
    """A folder for one job's files, removed when the job ends (or, if the
    worker died, when a later job on this host finds it)."""
    root = worker_temp_root()
    remove_abandoned_folders(root)
    folder = Path(tempfile.mkdtemp(prefix="job-", dir=root))
    (folder / OWNER_FILE).write_text(f"{socket.gethostname()} {os.getpid()}")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned_folders(root):
    """Folders left by SIGKILLed workers of this host. A SimpleWorker runs one
    job at a time, so a folder of this very process is left over too."""
    host = socket.gethostname()
    for owner_file in root.glob(f"job-*/{OWNER_FILE}"):
        try:
            owner_host, pid = owner_file.read_text().split()
        except (OSError, ValueError):
            continue
        if owner_host == host and (int(pid) == os.getpid() or not process_exists(int(pid))):
            log.info("removing %s, left by worker process %s", owner_file.parent, pid)
            shutil.rmtree(owner_file.parent, ignore_errors=True)


def process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_media(storage, name, folder, expected_sha256=""):
    """A local path to a stored file: the file itself on local storage, else a
    checked copy in `folder`."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        pass
    size_bytes = storage.size(name)
    check_room(size_bytes, folder)
    copy = folder / Path(name).name
    download = getattr(storage, "download", None)  # transcripts.storage: ranged GETs into the file
    if download is not None:
        download(name, copy)
    else:
        with storage.open(name, "rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    digest = file_sha256(copy)
    if expected_sha256 and digest != expected_sha256:
        raise MediaCopyError(f"the copy of {name} has sha256 {digest}, not {expected_sha256} as uploaded")
    log.info("copied %s (%d bytes, sha256 %s) to %s", name, size_bytes, digest, folder)
    return copy


def check_room(size_bytes, folder):
    root = Path(folder).parent
    limit_bytes = settings.WORKER_TEMP_MAX_BYTES
    if limit_bytes:
        used_bytes = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
        if used_bytes + size_bytes > limit_bytes:
            raise MediaCopyError(
                f"the media is {size_bytes} bytes and {root} already holds {used_bytes} of the "
                f"{limit_bytes} bytes WORKER_TEMP_MAX_BYTES allows"
            )
    free_bytes = shutil.disk_usage(folder).free
    if size_bytes + FREE_SPACE_MARGIN_BYTES > free_bytes:
        raise MediaCopyError(
            f"the media is {size_bytes} bytes and only {free_bytes} bytes are free in {root} (WORKER_TEMP_DIR)"
        )


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
