"""A real IMAP server on loopback for tests and benchmarks: Debian's Dovecot with a
throw-away configuration (passwd-file authentication, a Maildir in a temporary directory,
free ports on 127.0.0.1, plain IMAP and IMAPS with a certificate made for the run).

When the dovecot binary is missing and we are root on Debian, the `dovecot-imapd`
package is installed first (as scripts/with-postgres does for PostgreSQL); otherwise the
server cannot start and the caller FAILS, it never skips.

As root the server runs as the unprivileged `dovecot` user (its mail too): Dovecot never
gives mail to uid 0. As anyone else it runs as that user.

    with DovecotServer() as srv:
        srv.append(raw_bytes)           # into INBOX, as an MTA would deliver it
        srv.url                         # imap://pd:secret@127.0.0.1:PORT/INBOX
        srv.uids("pd-processed")        # what is in a folder
        srv.reset_uidvalidity("INBOX")  # a server that renumbered its mailbox
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
HOST = "127.0.0.1"
USER = "pd"
PASSWORD = "s3cr@t/pw%"  # needs percent-encoding in the URL, on purpose


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ensure_dovecot() -> None:
    """Install Debian's dovecot-imapd when the binary is missing and we may (root + apt-get)."""
    if os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/imap"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd (the IMAP tests need it)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "dovecot-imapd", "openssl"]):
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    # Debian's package starts its own system instance on port 143/993; ours does not need it.
    subprocess.run(["systemctl", "disable", "--now", "dovecot"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class DovecotServer:
    def __init__(self, *, idle_interval: int = 1, capabilities_without: tuple[str, ...] = ()):
        ensure_dovecot()
        self.root = Path(tempfile.mkdtemp(prefix="pd-imap."))
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            self.account = pwd.getpwnam("dovecot")
        else:
            self.account = pwd.getpwuid(os.getuid())
        self.port = _free_port()
        self.tls_port = _free_port()
        self.cert, self.key = make_certificate(self.root)
        self.idle_interval = idle_interval
        self.capabilities_without = capabilities_without
        self.home = self.root / "home" / USER
        self.home.mkdir(parents=True)
        (self.root / "run").mkdir()
        (self.root / "state").mkdir()
        self.passwd = self.root / "passwd"
        # PLAIN scheme: the password verbatim (the file is this run's, in a private directory).
        self.passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
        self.conf = self.root / "dovecot.conf"
        self._write_conf()
        if os.geteuid() == 0:
            for p in [self.root, *self.root.rglob("*")]:
                os.chown(p, self.account.pw_uid, self.account.pw_gid)
            os.chmod(self.key, 0o600)
        self.proc: subprocess.Popen | None = None

    def _write_conf(self) -> None:
        a = self.account
        self.conf.write_text(f"""# a throw-away test server (tests/imap_server.py)
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {a.pw_name}
default_internal_group = {_group(a.pw_gid)}
default_login_user = {a.pw_name}
first_valid_uid = {a.pw_uid}
last_valid_uid = {a.pw_uid}
first_valid_gid = 0
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = {self.idle_interval} secs
imap_idle_notify_interval = 2 mins
mail_fsync = never
{self._capability_line()}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={a.pw_uid} gid={a.pw_gid} home={self.root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.tls_port}
    ssl = yes
  }}
  chroot =
  process_min_avail = 1
}}
service imap {{
  process_limit = 64
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {a.pw_name}
}}
service auth-worker {{
  user = {a.pw_name}
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
""", encoding="utf-8")

    # What Dovecot 2.3 announces after login; a test can take some away (a server without MOVE).
    CAPABILITIES = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
                    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
                    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
                    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
                    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY")

    def _capability_line(self) -> str:
        if not self.capabilities_without:
            return ""
        caps = [c for c in self.CAPABILITIES.split() if c not in self.capabilities_without]
        return "imap_capability = " + " ".join(caps)

    # -------------------------------------------------------------- life
    def start(self) -> "DovecotServer":
        cmd = [DOVECOT, "-F", "-c", str(self.conf)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.proc.stderr.read().decode(errors='replace')}"
                                   f"{self.log()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {HOST}:{self.port}: {self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
            try:  # the master and every process it started (its own session)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "DovecotServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def log(self) -> str:
        p = self.root / "dovecot.log"
        return p.read_text(errors="replace") if p.exists() else ""

    # -------------------------------------------------------------- addresses
    def url(self, mailbox: str = "INBOX", *, scheme: str = "imap", query: str = "") -> str:
        from urllib.parse import quote

        port = self.tls_port if scheme == "imaps" else self.port
        q = f"?{query}" if query else ""
        return f"{scheme}://{USER}:{quote(PASSWORD, safe='')}@{HOST}:{port}/{quote(mailbox)}{q}"

    # -------------------------------------------------------------- the mailbox, seen from outside pd
    def client(self):
        from imapclient import IMAPClient

        c = IMAPClient(HOST, port=self.port, ssl=False, timeout=30)
        c.login(USER, PASSWORD)
        return c

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for raw in messages:
                c.append(folder, raw)
        finally:
            c.logout()

    def uids(self, folder: str = "INBOX", *, deleted: bool = True) -> list[int]:
        """UIDs in `folder` ([] when it does not exist); deleted=False leaves out \\Deleted ones."""
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return sorted(c.search(["ALL"] if deleted else ["NOT", "DELETED"]))
        finally:
            c.logout()

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            got = c.fetch(c.search(["ALL"]), ["BODY.PEEK[]"])
            return [got[u][b"BODY[]"] for u in sorted(got)]
        finally:
            c.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        c = self.client()
        try:
            return int(c.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])
        finally:
            c.logout()

    def reset_uidvalidity(self, folder: str = "INBOX") -> int:
        """Give `folder` a new UIDVALIDITY (as after a server migration); returns it."""
        new = self.uidvalidity(folder) + 1000
        cmd = [DOVEADM, "-c", str(self.conf), "mailbox", "update", "-u", USER, "--uid-validity", str(new), folder]
        subprocess.run(cmd, check=True, capture_output=True)
        return new


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
