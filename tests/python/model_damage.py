# SPDX-License-Identifier: MIT
"""Damaged copies of TorchScript archives, as the tests of hostile input need them.

Each function takes the bytes of an intact archive (torch.jit.save) and returns damaged bytes.
Those that rewrite the archive with zipfile give every record its correct CRC-32, as a file
made to crash the loader would have: only the checks of the archive's meaning catch them.
"""
import io
import random
import zipfile


def records(archive):
    """[(name, bytes, compress_type)] of an archive, in order."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return [(info.filename, z.read(info), info.compress_type) for info in z.infolist()]


def rebuilt(entries):
    """An archive of [(name, bytes, compress_type)], with correct CRC-32s."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data, compress_type in entries:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=compress_type)
    return out.getvalue()


def replace_record(archive, suffix, change):
    """The archive with the first record whose name ends with suffix replaced by change(bytes)."""
    entries = records(archive)
    for i, (name, data, compress_type) in enumerate(entries):
        if name.endswith(suffix):
            entries[i] = (name, change(data), compress_type)
            return rebuilt(entries)
    raise KeyError(suffix)


def largest_storage(archive):
    """The name of the largest tensor storage record (…/data/N) of an archive."""
    storages = [(len(data), name) for name, data, _ in records(archive) if "/data/" in name]
    return max(storages)[1]


def emptied_storage(archive):
    """The largest storage record emptied (finding 1: a SIGSEGV before these checks)."""
    return replace_record(archive, largest_storage(archive), lambda data: b"")


def halved_storage(archive):
    """The largest storage record cut to half its bytes (read out of bounds silently before)."""
    return replace_record(archive, largest_storage(archive), lambda data: data[: len(data) // 2])


def broken_code_and_debug(archive):
    """Code that does not compile and a damaged debug pickle beside it (finding 2: SIGABRT)."""
    entries = records(archive)
    for i, (name, data, compress_type) in enumerate(entries):
        if name.endswith(".py") and "/code/" in name:
            entries[i] = (name, data.replace(b"def forward", b"def forward(((", 1), compress_type)
        elif name.endswith(".debug_pkl"):
            entries[i] = (name, b"\x80\x02" + bytes(range(7, 120)), compress_type)
    return rebuilt(entries)


def record_span(archive, name):
    """(start, length) of a record's stored bytes in the archive."""
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        info = z.getinfo(name)
    start = info.header_offset
    name_length = int.from_bytes(archive[start + 26:start + 28], "little")
    extra_length = int.from_bytes(archive[start + 28:start + 30], "little")
    return start + 30 + name_length + extra_length, info.compress_size


def mutant(archive, rng):
    """One random damage: (kind, bytes). Bit flips, truncation, junk and a zeroed record damage
    the bytes as a disk or a transfer would; a removed record and a cut storage rewrite the
    archive with correct CRC-32s, as a file made to crash the loader would."""
    kind = rng.choice(["flip", "flip", "truncate", "zero_record", "remove_record", "junk", "empty_storage"])
    data = bytearray(archive)
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return kind, bytes(data)
    if kind == "truncate":
        return kind, bytes(data[: rng.randrange(len(data))])
    if kind == "junk":
        start = rng.randrange(len(data))
        length = rng.randint(1, 64)
        data[start:start + length] = bytes(rng.randrange(256) for _ in range(length))
        return kind, bytes(data)
    entries = records(archive)
    index = rng.randrange(len(entries))
    name, content, compress_type = entries[index]
    if kind == "zero_record":
        start, length = record_span(archive, name)
        data[start:start + length] = bytes(length)
        return kind, bytes(data)
    if kind == "remove_record":
        del entries[index]
    else:
        storages = [i for i, (n, _, _) in enumerate(entries) if "/data/" in n]
        index = rng.choice(storages) if storages else index
        name, content, compress_type = entries[index]
        entries[index] = (name, content[: rng.randrange(len(content) + 1)], compress_type)
    return kind, rebuilt(entries)


def seeded(seed):
    return random.Random(seed)
