"""Opening untrusted archives and XML safely, before GDAL sees them.

``extract_zip`` refuses a zip whose members would inflate past a limit: first from the sizes the
zip declares (nothing is inflated then), and again while extracting, byte by byte, in case the
declared sizes lie. It also refuses names that would escape the target directory.

``check_xml`` parses a whole XML file with defusedxml, which refuses a DTD, entity declarations
and external references (XXE, "billion laughs"), so that no entity is ever resolved.

``check_zip`` is for zips GDAL reads in place (XLSX): the same declared-size limit, and
``check_xml`` on every XML part, streamed from the zip.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from clearground.domain.errors import ImportRejected

__all__ = [
    "MAX_MEMBERS",
    "MAX_UNZIPPED_BYTES",
    "check_xml",
    "check_zip",
    "extract_zip",
    "zip_directory",
]

#: The most a zip may inflate to (all members together). A Shapefile's parts hold 2 GB each at
#: most; a national hazard register is a few hundred MB.
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: The most members a zip may hold (a File Geodatabase has a few dozen files).
MAX_MEMBERS = 10_000
_CHUNK = 1 << 20


def _size(n: int) -> str:
    return f"{n / 1024**2:,.1f} MiB" if n < 1024**3 else f"{n / 1024**3:,.2f} GiB"


def extract_zip(
    path: Path,
    dest: Path,
    *,
    source: str | None = None,
    limit: int = MAX_UNZIPPED_BYTES,
    kind: str = "zip",
) -> list[Path]:
    """Extract ``path`` into ``dest``; return the files written, in the zip's order.

    Raises ``ImportRejected`` (nothing extracted beyond what was checked) when the file is not a
    zip, a member name is absolute or climbs out with ``..``, the declared sizes add up past
    ``limit``, or the inflated bytes do.
    """
    where = source or str(path)
    if not path.exists():
        raise ImportRejected([f"{where}: file not found"])
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRejected([f"{where}: not a readable {kind} (zip) file: {exc}"]) from None
    with archive:
        members = _members(archive, where, limit)
        written: list[Path] = []
        total = 0
        root = dest.resolve()
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise ImportRejected(
                    [f"{where}: member {member.filename!r} would be written outside the folder"]
                )
            target = root.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(target, "wb") as out:
                    while chunk := src.read(_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise ImportRejected(
                                [
                                    f"{where}: the zip inflates past the {_size(limit)} allowed "
                                    "(its declared sizes are wrong); refused"
                                ]
                            )
                        out.write(chunk)
            except (
                zipfile.BadZipFile,
                zipfile.LargeZipFile,
                OSError,
                EOFError,
                NotImplementedError,  # a compression method zipfile does not know
                RuntimeError,  # an encrypted member
            ) as exc:
                raise ImportRejected(
                    [f"{where}: cannot extract {member.filename!r}: {exc}"]
                ) from None
            written.append(target)
    return written


def _members(archive: zipfile.ZipFile, where: str, limit: int) -> list[zipfile.ZipInfo]:
    """The files of ``archive``, refused when too many or declared to inflate past ``limit``."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise ImportRejected(
            [f"{where}: {len(members):,} files in the zip; at most {MAX_MEMBERS:,} are read"]
        )
    declared = sum(m.file_size for m in members)
    if declared > limit:
        raise ImportRejected(
            [
                f"{where}: the zip would inflate to {_size(declared)}, more than the "
                f"{_size(limit)} allowed; refused before inflating (a zip bomb?)"
            ]
        )
    return members


def check_zip(
    path: Path, *, source: str | None = None, limit: int = MAX_UNZIPPED_BYTES, kind: str = "zip"
) -> None:
    """Check a zip GDAL will read in place (XLSX): its declared sizes, and every XML part
    with defusedxml (streamed from the zip, nothing extracted)."""
    where = source or str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRejected([f"{where}: not a readable {kind} (zip) file: {exc}"]) from None
    with archive:
        for member in _members(archive, where, limit):
            if member.filename.lower().endswith((".xml", ".rels")):
                try:
                    with archive.open(member) as stream:
                        check_xml(stream, source=f"{where}:{member.filename}", kind=kind)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                    raise ImportRejected(
                        [f"{where}: cannot read {member.filename!r}: {exc}"]
                    ) from None


def zip_directory(folder: Path, out: Path, *, prefix: str = "") -> None:
    """Write every file under ``folder`` into the zip ``out`` (deflated), named ``prefix/...``."""
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = file.relative_to(folder).as_posix()
            archive.write(file, f"{prefix}/{name}" if prefix else name)
    shutil.move(tmp, out)


def check_xml(path: Path | IO[bytes], *, source: str | None = None, kind: str = "XML") -> None:
    """Parse ``path`` (or a binary stream) with defusedxml; refuse a DTD, entities or external
    references. Raises ``ImportRejected`` naming the file, the line and the reason.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    where = source or str(path)
    try:
        for _, element in iterparse(
            path if hasattr(path, "read") else str(path),
            events=("end",),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            element.clear()  # keep memory flat on big files
    except DefusedXmlException as exc:
        raise ImportRejected(
            [
                f"{where}: refused: the {kind} declares a DTD or entities ({exc}); they are never "
                "resolved (XXE). Remove the <!DOCTYPE ...> declaration."
            ]
        ) from None
    except ParseError as exc:
        raise ImportRejected(
            [f"{where}: cannot read {kind}: not well-formed XML ({exc})"]
        ) from None
    except OSError as exc:
        raise ImportRejected([f"{where}: cannot read {kind}: {exc}"]) from None
