"""Durable numbers (SPEC 10): a registration number once printed survives a power failure.

The power failure is simulated as the adversarial tester did it: while a real pd process
registers and prints each number after its commit, the database file and its WAL are copied
(a snapshot of what the kernel holds), and the WAL copy is torn: cut mid-frame, its unfinished
tail dropped. The copy is then opened by pd as the recovered ledger.

What this proves, precisely: (1) pd's own connection commits with synchronous=FULL, i.e. SQLite
syncs the WAL inside COMMIT, before pd prints the number — so at a real power failure every
printed number's frames are on the disk, and only frames of a commit not yet acknowledged can
be torn; (2) with such a tear, recovery keeps every printed number, the ledger audits clean,
and the next registration gets a number nobody was told. A file copy cannot observe fsync
itself; (1) is checked by reading the pragma back from the process that registers. The last
test shows the checker does fail when a printed commit is lost (what NORMAL allowed)."""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys

import pytest

from tests.conftest import RawDB, run_pd, subprocess_env

WRITER = r"""
import sys
from pd.config import load_settings
from pd.db.connection import db
from pd.desk import Desk, RegisterInput
d = Desk(load_settings())
d.ledger
print("synchronous", db.execute_sql("PRAGMA synchronous").fetchone()[0], flush=True)
for i in range(int(sys.argv[1])):
    r = d.register(RegisterInput(name=f"Līga Ērgle {i}", institution="VP", service="EPASTS",
                                 description="Neienāk e-pasts " * 40, channel="phone"))
    print(r.number, flush=True)   # printed only after the commit returned
print("done", flush=True)
sys.stdin.readline()              # hold the connection: closing it would checkpoint the WAL away
"""


def wal_frames(data: bytes) -> tuple[int, list[tuple[int, bool]]]:
    """(page size, [(offset, is_commit)]) of the valid frames of a WAL (salts match the header)."""
    if len(data) < 32:
        return 0, []
    page = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    frames, off = [], 32
    while off + 24 + page <= len(data) and data[off + 8:off + 16] == salt:
        frames.append((off, struct.unpack(">I", data[off + 4:off + 8])[0] != 0))
        off += 24 + page
    return page, frames


def snapshot(src, dst) -> None:
    """Copy the ledger and its WAL while the writer goes on, holding a read transaction so no
    checkpoint resets the WAL under the copy (the WAL only grows meanwhile)."""
    import sqlite3

    con = sqlite3.connect(src, isolation_level=None)
    con.execute("BEGIN")
    con.execute("SELECT COUNT(*) FROM request").fetchone()
    shutil.copyfile(src, dst)
    shutil.copyfile(str(src) + "-wal", str(dst) + "-wal")
    con.execute("COMMIT")
    con.close()


def tear(wal_path, *, into_last_commit: bool = False) -> bool:
    """Cut the WAL copy mid-frame: after the last commit frame (the commit in flight when the power
    went), or — what a NORMAL commit allowed — inside the last committed transaction."""
    data = open(wal_path, "rb").read()
    page, frames = wal_frames(data)
    commits = [i for i, (_, c) in enumerate(frames) if c]
    if not commits:  # just checkpointed: everything is in the file; a write in flight is torn
        end = frames[-1][0] + 24 + page if frames else 32
        with open(wal_path, "wb") as f:
            f.write(data[:end] + bytes(range(256)) * 4)
        return False
    last = commits[-1]
    if into_last_commit:
        cut = frames[last][0] + 24 + page // 2  # the commit frame itself is half written
    elif last + 1 < len(frames):
        cut = frames[last + 1][0] + 24 + page // 3  # a frame of the unfinished next commit
    else:
        cut = frames[last][0] + 24 + page  # nothing in flight: append half a frame of junk
        data = data[:cut] + bytes(range(256)) * (page // 512)
    with open(wal_path, "wb") as f:
        f.write(data[:cut])
    return True


def recovered_numbers(url) -> set[str]:
    return {r[0] for r in RawDB(url).execute("SELECT number FROM request")}


def power_failures(pd_env, tmp_path, *, into_last_commit: bool, rounds: int = 4):
    """Run the writer, cut the power `rounds` times; yield (printed before the cut, recovered copy url)."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = subprocess_env(pd_env, PD_DATABASE_URL=url)
    assert run_pd("init", env=env).returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "400"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().split() == ["synchronous", "2"]  # FULL, on pd's own connection
        printed: list[str] = []
        for k in range(rounds):
            for _ in range(15 + 7 * k):
                printed.append(writer.stdout.readline().strip())
            copy = tmp_path / f"copy{k}.sqlite3"
            snapshot(tmp_path / "live.sqlite3", copy)  # every number printed so far was acknowledged before
            if not tear(str(copy) + "-wal", into_last_commit=into_last_commit) and into_last_commit:
                continue  # no commit in the WAL to lose this time
            yield list(printed), f"sqlite:///{copy}", subprocess_env(pd_env, PD_DATABASE_URL=f"sqlite:///{copy}")
    finally:
        writer.kill()
        writer.wait()


def check_recovered(printed, url, env) -> list[str]:
    """What a user would check after the power came back: [] when no printed number was lost or reissued."""
    wrong = []
    present = recovered_numbers(url)
    lost = [n for n in printed if n not in present]
    if lost:
        wrong.append(f"printed but lost: {lost}")
    r = run_pd("register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
               "--description", "Pēc strāvas pārrāvuma", "--channel", "phone", env=env)
    assert r.returncode == 0, r.stderr
    new = json.loads(r.stdout)["number"]
    if new in printed:
        wrong.append(f"{new} issued twice")
    return wrong


@pytest.mark.tampers
def test_a_torn_wal_never_loses_or_reissues_a_printed_number(pd_env, tmp_path):
    seen = 0
    for printed, url, env in power_failures(pd_env, tmp_path, into_last_commit=False):
        assert check_recovered(printed, url, env) == []
        v = run_pd("audit", "verify", "--json", env=env)
        assert v.returncode == 0 and json.loads(v.stdout)["ok"] is True, v.stdout + v.stderr
        seen += 1
    assert seen == 4


@pytest.mark.tampers
def test_the_check_fails_when_a_printed_commit_is_lost(pd_env, tmp_path):
    """Tearing inside the last acknowledged commit (what synchronous=NORMAL permitted at a power
    failure): the printed number is gone and issued again — and the check above says so. The
    writer stops after its 30th number, so the last commit in the WAL is a printed one."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    env = subprocess_env(pd_env, PD_DATABASE_URL=url)
    assert run_pd("init", env=env).returncode == 0
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "30"], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().split() == ["synchronous", "2"]
        printed = [writer.stdout.readline().strip() for _ in range(30)]
        assert writer.stdout.readline().strip() == "done"
        copy = tmp_path / "copy.sqlite3"
        snapshot(tmp_path / "live.sqlite3", copy)
        assert tear(str(copy) + "-wal", into_last_commit=True)
    finally:
        writer.kill()
        writer.wait()
    copy_url = f"sqlite:///{copy}"
    wrong = check_recovered(printed, copy_url, subprocess_env(pd_env, PD_DATABASE_URL=copy_url))
    assert wrong == [f"printed but lost: {[printed[-1]]}", f"{printed[-1]} issued twice"]
