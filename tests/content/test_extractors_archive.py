"""Archives through the dispatcher: what is opened, and what is refused with which reason."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import time
import zipfile
import zlib

from tracecheck.content.extract import ExtractLimits, extract_units
from tracecheck.model import Skipped, TextUnit

CASE_ROW = "Case 4471\tNHS 943 476 5919\tPCR positive"


def run(data: bytes, limits: ExtractLimits | None = None
        ) -> tuple[list[TextUnit], list[Skipped]]:
    out = list(extract_units(data, part="2", where="attachment:batch.zip", declared_charset=None,
                             limits=limits or ExtractLimits(), notes=[]))
    units = [u for u in out if isinstance(u, TextUnit)]
    skips = [s for s in out if isinstance(s, Skipped)]
    assert len(units) + len(skips) == len(out)
    return units, skips


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def raw_zip64(name: bytes, packed: bytes, *, size: int, crc: int) -> bytes:
    """One deflated member whose sizes live in zip64 extra fields (needed above 4 GiB)."""
    extra = struct.pack("<HHQQ", 0x0001, 16, size, len(packed))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)) + name + extra
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x21, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0,
                          0) + name + extra
    body = local + packed
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


def deflated_zeros(total: int) -> bytes:
    """A raw deflate stream of `total` zero bytes, built from one repeated 16 MiB block
    (full-flush blocks do not refer back across the flush, so they can be repeated)."""
    block = 16 << 20
    assert total % block == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(bytes(block)) + comp.flush(zlib.Z_FULL_FLUSH)
    return piece * (total // block) + b"\x03\x00"  # final empty fixed-Huffman block


def test_zip_members_are_opened_and_named_by_path() -> None:
    data = make_zip({"batch/cases.csv": (CASE_ROW + "\n").encode(), "readme.txt": b"notes"})
    units, skips = run(data)
    assert {u.where: u.text.strip() for u in units} == {
        "attachment:batch.zip/zip:batch/cases.csv": CASE_ROW,
        "attachment:batch.zip/zip:readme.txt": "notes",
    }
    assert skips == []


def test_zip_bomb_is_refused_without_expanding() -> None:
    size = 6 << 30  # 6 GiB declared and really encoded by the deflate stream
    packed = deflated_zeros(size)
    bomb = raw_zip64(b"cases.csv", packed, size=size, crc=0)  # CRC never reached: not read
    started = time.perf_counter()
    units, skips = run(bomb)
    elapsed = time.perf_counter() - started
    assert units == []
    assert len(skips) == 1
    assert skips[0].kind == "limit"
    assert str(skips[0].locator) == "attachment:batch.zip/zip:cases.csv"
    assert skips[0].reason == f"limit: zip bomb refused (ratio {size // len(packed)})"
    assert elapsed < 2.0


def test_zip_bomb_stream_really_expands_as_declared() -> None:
    # Guards the fixture above: the member is a genuine bomb, not just a lying header.
    packed = deflated_zeros(32 << 20)
    assert zlib.decompress(packed, -15) == bytes(32 << 20)


def test_highly_compressible_small_member_is_not_a_bomb() -> None:
    row = ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n" * 5000 + CASE_ROW
    units, skips = run(make_zip({"sparse.csv": row.encode()}))
    assert skips == []
    assert CASE_ROW in units[0].text


def test_fifty_deep_nested_zip_stops_at_max_depth_and_is_listed() -> None:
    data = make_zip({"cases.csv": CASE_ROW.encode()})
    for level in range(50):
        data = make_zip({f"level{level}.zip": data})
    units, skips = run(data)
    assert units == []
    assert len(skips) == 1
    skip = skips[0]
    assert skip.kind == "limit"
    assert skip.reason == "limit: nesting deeper than 8"
    assert str(skip.locator).count("/zip:") == 9
    assert str(skip.locator).startswith("attachment:batch.zip/zip:level49.zip/zip:level48.zip/")


def test_nested_zip_is_read_to_the_bottom_when_the_limit_allows() -> None:
    data = make_zip({"cases.csv": CASE_ROW.encode()})
    for level in range(50):
        data = make_zip({f"level{level}.zip": data})
    units, skips = run(data, ExtractLimits(max_depth=60))
    assert skips == []
    assert [u.text for u in units] == [CASE_ROW]
    assert units[0].where.count("/zip:") == 51
    assert units[0].where.endswith("/zip:level0.zip/zip:cases.csv")


# ZipCrypto (the traditional PKWARE cipher), enough to write a real encrypted member.
def _crc_entry(value: int) -> int:
    for _ in range(8):
        value = (value >> 1) ^ 0xEDB88320 if value & 1 else value >> 1
    return value


_CRC_TABLE = [_crc_entry(i) for i in range(256)]


def zipcrypto_encrypt(password: bytes, plain: bytes, check: int) -> bytes:
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = (_CRC_TABLE[(keys[0] ^ byte) & 0xFF] ^ (keys[0] >> 8)) & 0xFFFFFFFF
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (_CRC_TABLE[(keys[2] ^ (keys[1] >> 24)) & 0xFF] ^ (keys[2] >> 8)) & 0xFFFFFFFF

    for byte in password:
        update(byte)
    out = bytearray()
    for byte in bytes(11) + bytes([check]) + plain:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(byte)
    return bytes(out)


def encrypted_zip(members: dict[str, bytes], secret: dict[str, bytes]) -> bytes:
    """Plain members plus stored ZipCrypto-encrypted ones (password b"pw")."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    plain = buf.getvalue()
    cut = plain.index(b"PK\x01\x02")
    body, centrals = plain[:cut], plain[cut:plain.index(b"PK\x05\x06")]
    new_central = b""
    for name, data in secret.items():
        crc = zlib.crc32(data)
        enc = zipcrypto_encrypt(b"pw", data, crc >> 24)
        bname = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, 0, 0x21, crc, len(enc),
                            len(data), len(bname), 0) + bname + enc
        new_central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 0, 0, 0x21,
                                   crc, len(enc), len(data), len(bname), 0, 0, 0, 0, 0,
                                   offset) + bname
    central = centrals + new_central
    count = len(members) + len(secret)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(body), 0)
    return body + central + end


def test_encrypted_zip_member_is_listed_and_the_others_are_read() -> None:
    data = encrypted_zip({"readme.txt": b"open notes"}, {"secret/cases.csv": CASE_ROW.encode()})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # the fixture is real ZipCrypto
        assert zf.read("secret/cases.csv", pwd=b"pw") == CASE_ROW.encode()
    units, skips = run(data)
    assert [(u.where, u.text) for u in units] == [
        ("attachment:batch.zip/zip:readme.txt", "open notes")]
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:batch.zip/zip:secret/cases.csv", "encrypted",
         "encrypted: not scanned (password-protected zip member)")]


def test_member_count_limit_lists_what_was_not_opened() -> None:
    data = make_zip({f"m{i}.txt": f"row {i}".encode() for i in range(10)})
    units, skips = run(data, ExtractLimits(max_members=4))
    assert [u.text for u in units] == ["row 0", "row 1", "row 2", "row 3"]
    assert [(str(s.locator), s.reason) for s in skips] == [
        ("attachment:batch.zip/zip:m4.txt", "limit: more than 4 members"),
        ("attachment:batch.zip/zip:", "limit: 5 further members not opened (max_members 4)"),
    ]


def test_total_expanded_bytes_limit_refuses_the_member_that_overflows() -> None:
    data = make_zip({"a.txt": b"a" * 600, "b.txt": b"b" * 600, "c.txt": b"c" * 300},
                    method=zipfile.ZIP_STORED)
    units, skips = run(data, ExtractLimits(max_total_bytes=1000))
    assert [u.where.rsplit(":", 1)[1] for u in units] == ["a.txt", "c.txt"]
    assert [(str(s.locator), s.kind, s.reason) for s in skips] == [
        ("attachment:batch.zip/zip:b.txt", "limit", "limit: expanded size over 1000 bytes")]


def test_truncated_zip_is_unreadable() -> None:
    data = make_zip({"cases.csv": CASE_ROW.encode()})
    units, skips = run(data[: len(data) // 2] + b"\x00" * 10)
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [("unreadable", "zip: not a readable archive")]


def test_gzip_and_tar_gz_are_opened() -> None:
    units, skips = run(gzip.compress(CASE_ROW.encode()))
    assert [(u.where, u.text) for u in units] == [("attachment:batch.zip/gz:data", CASE_ROW)]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("export/cases.csv")
        info.size = len(CASE_ROW)
        tf.addfile(info, io.BytesIO(CASE_ROW.encode()))
    units, skips = run(buf.getvalue())
    assert skips == []
    assert [(u.where, u.text) for u in units] == [
        ("attachment:batch.zip/gz:data/tar:export/cases.csv", CASE_ROW)]


def test_gzip_keeps_its_stored_file_name() -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="cases.csv", mode="wb", fileobj=buf) as gz:
        gz.write(CASE_ROW.encode())
    units, _ = run(buf.getvalue())
    assert units[0].where == "attachment:batch.zip/gz:cases.csv"


def test_gzip_bomb_is_refused_from_its_declared_size() -> None:
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)
    started = time.perf_counter()
    units, skips = run(bomb)
    assert time.perf_counter() - started < 1.0
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("limit", f"limit: gz bomb refused (ratio {(64 << 20) // len(bomb)})")]


def test_gzip_bomb_with_a_lying_size_field_stops_at_the_ratio() -> None:
    bomb = bytearray(gzip.compress(bytes(64 << 20), compresslevel=9))
    bomb[-4:] = struct.pack("<I", 100)  # claims 100 bytes
    units, skips = run(bytes(bomb))
    assert units == []
    assert [(s.kind, s.reason) for s in skips] == [
        ("limit", "limit: gz bomb refused (ratio over 100)")]
