"""The provider's local files: `FileSource` (one file) and `FolderSource` (a folder; each request names a file in
it). Whatever is served lies under the provider's data directory (`base_dir`), and a folder's files under that
folder: paths are resolved with their symlinks and must stay inside — checked when the source is declared, at every
request, and once more on the opened descriptor (`/proc/self/fd`), so a symlink swapped in between cannot lead out.
A requested name is refused before it touches the disk when it climbs (`..`), is absolute, names a hidden file, or
does so once percent-decoded (`%2e%2e`, `%252e%252e`): a layer that decodes twice must not open a way out.
Files are read in a worker thread, one chunk at a time with `os.pread`, so memory stays flat whatever the size."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio.to_thread

from ._spec import SpecReader, invalid
from .base import (
    CHUNK_SIZE,
    GEOJSON_SEQ,
    BBox,
    DataSource,
    Params,
    ResourceInfo,
    Stream,
    check_range,
    guess_media_type,
    is_vector_media_type,
    no_params,
    no_subresource,
)
from .errors import DataSourceError
from .geojson import filter_bbox, iter_features

MAX_PATH_LENGTH = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _data_root(base_dir: Path) -> Path:
    root = Path(base_dir).resolve()
    if not root.is_dir():
        raise invalid("path", f"le répertoire de données du fournisseur n'existe pas : {base_dir}",
                      f"the provider's data directory does not exist: {base_dir}")
    return root


def _declared_path(reader: SpecReader, root: Path) -> tuple[Path, Path]:
    """The declared path joined to the data directory, and resolved: it must stay inside."""
    text = reader.string("path", required=True)
    assert text is not None
    declared = Path(text)
    joined = declared if declared.is_absolute() else root / declared
    real = joined.resolve()
    if not _inside(real, root):
        raise reader.error("path", f"« {text} » sort du répertoire de données du fournisseur ({root}), "
                                   "directement ou par un lien symbolique",
                           f"'{text}' leads outside the provider's data directory ({root}), directly or through a "
                           "symbolic link")
    if not real.exists():
        raise reader.error("path", f"« {text} » n'existe pas dans le répertoire de données",
                           f"'{text}' does not exist in the data directory")
    return joined, real


def _not_found(field_name: str, shown: str) -> DataSourceError:
    return DataSourceError(field_name, f"fichier introuvable : « {shown} »", f"file not found: '{shown}'", 404)


def _refused(shown: str, fr: str, en: str) -> DataSourceError:
    return DataSourceError("path", f"chemin refusé « {shown} » : {fr}", f"path refused '{shown}': {en}", 400,
                           code="path-refused")


def _open_inside(real: Path, root: Path, field_name: str, shown: str) -> tuple[io.FileIO, os.stat_result]:
    """Open an already resolved path and check, on the descriptor itself, that it is a regular file inside root."""
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise _not_found(field_name, shown) from None
    except PermissionError:
        raise DataSourceError(field_name, f"lecture interdite par le système : « {shown} »",
                              f"reading is not permitted by the system: '{shown}'", 500) from None
    except OSError as exc:  # ELOOP: the last component became a symlink after it was resolved
        raise _refused(shown, f"le fichier a changé pendant l'ouverture ({exc.strerror})",
                       f"the file changed while being opened ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_found(field_name, shown)
    except BaseException:
        os.close(fd)
        raise
    file = io.FileIO(fd, "rb", closefd=True)  # closes the descriptor even if the stream is never closed
    try:
        proc = Path(f"/proc/self/fd/{fd}")
        if proc.exists() and not _inside(Path(os.readlink(proc)), root):
            raise _refused(shown, "le fichier ouvert est hors du répertoire autorisé",
                           "the opened file lies outside the permitted directory")
    except BaseException:
        file.close()
        raise
    return file, info


def _info(name: str, info: os.stat_result, media_type: str | None) -> ResourceInfo:
    media_type = media_type or guess_media_type(name)
    return ResourceInfo(media_type=media_type, size=info.st_size, etag=f'"{info.st_mtime_ns:x}-{info.st_size:x}"',
                        last_modified=datetime.fromtimestamp(int(info.st_mtime), UTC), filename=name,
                        is_vector=is_vector_media_type(media_type), accept_ranges=True)


async def _read(file: io.FileIO, start: int, end: int, chunk_size: int, shown: str) -> AsyncIterator[bytes]:
    offset, remaining = start, end - start + 1
    while remaining > 0:
        data = await anyio.to_thread.run_sync(os.pread, file.fileno(), min(chunk_size, remaining), offset)
        if not data:  # shortened while being read: better a broken response than a silently short one
            raise DataSourceError("data", f"le fichier « {shown} » a raccourci pendant la lecture",
                                  f"the file '{shown}' shrank while being read", 500)
        offset += len(data)
        remaining -= len(data)
        yield data


async def _open_stream(real: Path, root: Path, field_name: str, shown: str, media_type: str | None,
                       byte_range: tuple[int, int | None] | None, chunk_size: int) -> Stream[bytes]:
    file, info = await anyio.to_thread.run_sync(_open_inside, real, root, field_name, shown)
    try:
        resource = _info(shown.rsplit("/", 1)[-1], info, media_type)
        if byte_range is not None:
            start, end = check_range(byte_range, info.st_size)
            served: tuple[int, int] | None = (start, end)
        else:
            start, end, served = 0, info.st_size - 1, None
    except BaseException:
        file.close()
        raise

    async def close() -> None:
        file.close()

    return Stream(_read(file, start, end, chunk_size, shown), info=resource, close=close, content_range=served,
                  length=end - start + 1)


async def _features(stream: Stream[bytes], bbox: BBox | None) -> Stream[dict[str, Any]]:
    assert stream.info is not None
    sequence = stream.info.media_type.split(";")[0].strip() == GEOJSON_SEQ
    return Stream(filter_bbox(iter_features(stream, sequence=sequence, status=500), bbox), info=stream.info,
                  close=stream.aclose)


@dataclass
class FileSource(DataSource):
    """One file: `{"type": "file", "path": "...", "media_type"?: "..."}`; a relative path is under `base_dir`."""

    kind = "file"
    path: Path  # as declared, joined to the data directory: a symlink in it is resolved again at every request
    root: Path
    media_type: str | None = None
    chunk_size: int = CHUNK_SIZE
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path) -> FileSource:
        reader = SpecReader(spec, {"type", "path", "media_type"}, kind=cls.kind)
        media_type = reader.media_type()
        root = _data_root(base_dir)
        joined, real = _declared_path(reader, root)
        if not real.is_file():
            raise reader.error("path", f"« {spec['path']} » n'est pas un fichier (pour un dossier : type « folder »)",
                               f"'{spec['path']}' is not a file (for a folder: type 'folder')")
        return cls(path=joined, root=root, media_type=media_type, spec=dict(spec))

    @property
    def is_vector(self) -> bool:
        return is_vector_media_type(self.media_type or guess_media_type(self.path.name))

    def _resolved(self) -> Path:
        real = self.path.resolve()
        if not _inside(real, self.root):
            raise DataSourceError("data_source.path", "le fichier du jeu de données sort désormais du répertoire "
                                                      "de données (lien symbolique modifié ?)",
                                  "the dataset's file now leads outside the data directory (symbolic link changed?)",
                                  500, code="path-refused")
        return real

    def describe(self, path: str | None = None) -> ResourceInfo:
        no_subresource(path, self.kind)
        try:
            info = self._resolved().stat()
        except OSError:
            raise _not_found("data_source.path", self.path.name) from None
        return _info(self.path.name, info, self.media_type)

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        no_subresource(path, self.kind)
        no_params(params, self.kind)
        return await _open_stream(self._resolved(), self.root, "data_source.path", self.path.name, self.media_type,
                                  byte_range, self.chunk_size)

    async def features(self, path: str | None = None, *, params: Params | None = None,
                       bbox: BBox | None = None) -> Stream[dict[str, Any]]:
        if not self.is_vector:
            return await super().features(path, params=params, bbox=bbox)
        return await _features(await self.open(path, params=params), bbox)


def check_member_path(relative: str | None) -> list[str]:
    """The segments of a file name requested inside a folder, or a refusal naming `path`. The name is checked as
    given and as percent-decoded (up to three times), but used as given."""
    if relative is None or not relative.strip("/"):
        raise DataSourceError("path", "indiquez le fichier demandé dans le dossier (chemin relatif)",
                              "name the requested file inside the folder (a relative path)", 404)
    if len(relative) > MAX_PATH_LENGTH:
        raise _refused(relative[:80] + "…", "chemin trop long", "path too long")
    forms = [relative]
    while len(forms) < 4 and unquote(forms[-1]) != forms[-1]:
        forms.append(unquote(forms[-1]))
    for form in forms:
        if "\x00" in form or "\\" in form:
            raise _refused(relative, "caractère interdit (nul ou barre oblique inverse)",
                           "forbidden character (NUL or backslash)")
        if form.startswith("/") or _DRIVE.match(form):
            raise _refused(relative, "chemin absolu : donnez un chemin relatif au dossier",
                           "absolute path: give a path relative to the folder")
        segments = form.split("/")
        if ".." in segments:
            raise _refused(relative, "remontée hors du dossier (« .. »)", "climbs out of the folder ('..')")
        if any(segment.startswith(".") and segment != "." for segment in segments):
            raise _refused(relative, "les fichiers et dossiers cachés ne sont pas servis",
                           "hidden files and folders are not served")
    return [segment for segment in relative.split("/") if segment not in ("", ".")]


@dataclass
class FolderSource(DataSource):
    """A folder: `{"type": "folder", "path": "..."}`; each request names a file inside with a relative path."""

    kind = "folder"
    path: Path
    root: Path
    chunk_size: int = CHUNK_SIZE
    spec: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_dir: Path) -> FolderSource:
        reader = SpecReader(spec, {"type", "path"}, kind=cls.kind)
        root = _data_root(base_dir)
        joined, real = _declared_path(reader, root)
        if not real.is_dir():
            raise reader.error("path", f"« {spec['path']} » n'est pas un dossier (pour un fichier : type « file »)",
                               f"'{spec['path']}' is not a folder (for a file: type 'file')")
        return cls(path=joined, root=root, spec=dict(spec))

    @property
    def is_vector(self) -> bool:
        return True

    @property
    def has_paths(self) -> bool:
        return True

    def _folder(self) -> Path:
        real = self.path.resolve()
        if not _inside(real, self.root) or not real.is_dir():
            raise DataSourceError("data_source.path", "le dossier du jeu de données est introuvable ou sort du "
                                                      "répertoire de données",
                                  "the dataset's folder is missing or leads outside the data directory", 500)
        return real

    def member(self, relative: str | None) -> tuple[Path, Path]:
        """The resolved path of a requested file and the resolved folder it must stay in."""
        segments = check_member_path(relative)
        folder = self._folder()
        real = folder.joinpath(*segments).resolve()
        if not _inside(real, folder):
            raise _refused(str(relative), "un lien symbolique mène hors du dossier",
                           "a symbolic link leads outside the folder")
        return real, folder

    def describe(self, path: str | None = None) -> ResourceInfo:
        real, _ = self.member(path)
        try:
            info = real.stat()
        except OSError:
            raise _not_found("path", str(path)) from None
        if not stat.S_ISREG(info.st_mode):
            raise _not_found("path", str(path))
        return _info(real.name, info, None)

    async def open(self, path: str | None = None, *, byte_range: tuple[int, int | None] | None = None,
                   params: Params | None = None) -> Stream[bytes]:
        no_params(params, self.kind)
        real, folder = self.member(path)
        return await _open_stream(real, folder, "path", str(path), None, byte_range, self.chunk_size)

    async def features(self, path: str | None = None, *, params: Params | None = None,
                       bbox: BBox | None = None) -> Stream[dict[str, Any]]:
        stream = await self.open(path, params=params)
        assert stream.info is not None
        if not stream.info.is_vector:
            await stream.aclose()
            raise DataSourceError("path", f"« {path} » n'est pas un fichier GeoJSON", f"'{path}' is not a GeoJSON file",
                                  400, code="not-vector")
        return await _features(stream, bbox)

    def files(self, limit: int = 10_000) -> list[str]:
        """The relative names of the files a request may name (hidden ones and links leading out left aside),
        sorted, at most `limit`. Blocking: call it from a worker thread in an async context."""
        folder = self._folder()
        names: list[str] = []
        for directory, subdirs, filenames in os.walk(folder):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                candidate = Path(directory, name)
                real = candidate.resolve()
                if _inside(real, folder) and real.is_file():
                    names.append(candidate.relative_to(folder).as_posix())
                    if len(names) >= limit:
                        return sorted(names)
        return sorted(names)
