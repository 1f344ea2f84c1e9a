"""Secrets that reached the ledger in clear (issue 18): an attachment's file name, a text file attached
as another type, a header-shaped first line, an idempotency key. Each case reads the stored row back."""
from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage

from tests.conftest import subprocess_env
from tests.intake_mail import DESK
from tests.test_intake_ingest import pd_ingest

SECRETS = ("Sniegs2026", "Ozols2026", "Liepa2026", "4455")


def _mail(subject: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Jānis Bērziņš <janis.berzins@vp.gov.lv>"
    m["To"] = DESK
    m["Subject"] = subject
    m["Message-ID"] = f"<{subject.replace(' ', '.')}@vp.gov.lv>"
    m.set_content("Labdien!\nPielikumā faili.\n")
    return m


def _ingest(pd_env, raw: bytes) -> None:
    r = pd_ingest(subprocess_env(pd_env, PD_USER="system"), raw)
    assert r.returncode == 0, r.stderr


def _stored(rawdb) -> tuple[list[dict], bytes, bool]:
    attachments, raw, redacted = rawdb.execute("SELECT attachments, raw, redacted FROM inbound_message")[0]
    return json.loads(attachments), bytes(raw), bool(redacted)


def _parts(raw: bytes) -> list[tuple[str | None, bytes]]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return [(p.get_filename(), p.get_payload(decode=True)) for p in msg.walk() if not p.is_multipart()]


def _clear(raw: bytes) -> list[str]:
    """The secrets readable in the stored bytes, decoded parts included."""
    texts = [raw] + [data or b"" for _, data in _parts(raw)]
    return [s for s in SECRETS if any(s.encode() in t for t in texts)]


def test_a_password_in_an_attachments_file_name_is_redacted(pd_env, rawdb):
    m = _mail("faili")
    m.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="parole_Sniegs2026.pdf")
    m.add_attachment(b"Saraksts\n", maintype="text", subtype="plain", filename="PIN 4455.txt")
    _ingest(pd_env, m.as_bytes())
    attachments, raw, redacted = _stored(rawdb)
    assert [a["name"] for a in attachments] == ["parole_[REDACTED].pdf", "PIN [REDACTED].txt"]
    assert [name for name, _ in _parts(raw)][1:] == ["parole_[REDACTED].pdf", "PIN [REDACTED].txt"]
    assert _clear(raw) == [] and redacted


def test_a_password_in_a_text_attachment_is_redacted_whatever_its_type(pd_env, rawdb):
    m = _mail("piezimes")
    m.add_attachment("Lietotājs jberzins\nparole: Ozols2026\n".encode(), maintype="application",
                     subtype="octet-stream", filename="piezimes.txt")
    m.add_attachment("VPN parole: Liepa2026\n".encode(), maintype="text", subtype="plain", filename="vpn.txt")
    m.add_attachment(b"\x89PNG\r\n parole: Sniegs2026", maintype="image", subtype="png", filename="ekrans.png")
    _ingest(pd_env, m.as_bytes())
    attachments, raw, redacted = _stored(rawdb)
    parts = dict(_parts(raw))
    assert parts["piezimes.txt"] == "Lietotājs jberzins\nparole: [REDACTED]\n".encode()
    assert parts["vpn.txt"] == b"VPN parole: [REDACTED]\n"
    assert parts["ekrans.png"] == b"\x89PNG\r\n parole: Sniegs2026"  # an image is not text: kept as sent
    assert [a["type"] for a in attachments] == ["application/octet-stream", "text/plain", "image/png"]
    assert redacted


def test_a_header_shaped_first_line_is_redacted(pd_env, rawdb):
    # no blank line after the headers: the first line of the text is read as a header "Parole"
    raw = (f"From: janis.berzins@vp.gov.lv\r\nTo: {DESK}\r\nSubject: VPN\r\nMessage-ID: <hdr1@vp.gov.lv>\r\n"
           "Parole: Sniegs2026\r\nPassword: Ozols2026\r\nLabdien, nevaru pieslēgties VPN.\r\n").encode()
    _ingest(pd_env, raw)
    _, stored, redacted = _stored(rawdb)
    assert _clear(stored) == [] and redacted
    msg = email.message_from_bytes(stored, policy=email.policy.default)
    assert msg["Parole"] == "[REDACTED]" and msg["Password"] == "[REDACTED]"
    assert msg["Subject"] == "VPN"


def test_an_idempotency_key_with_a_password_is_refused_or_redacted(pd, rawdb):
    key = "VPN parole: Sniegs2026"
    r = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
           "--description", "Neienāk e-pasts", "--channel", "phone", "--idempotency-key", key)
    assert r.exit_code == 3
    assert r.stderr.strip().endswith(": laukā “--idempotency-key”, šķiet, ir parole vai PIN; izņemiet to (paroles nekad "
                                     "neglabā, noteikumu 6.7. punkts) vai lietojiet --redact")
    assert "Sniegs2026" not in r.stderr + r.stdout
    assert rawdb.execute("SELECT count(*) FROM request")[0][0] == 0
    # with --redact: stored without the secret, and a retry with the same key finds the same request
    first = pd.register(idempotency_key=key, redact=True)
    again = pd.register(idempotency_key=key, redact=True)
    other = pd.register(idempotency_key="VPN parole: Ozols2026", redact=True)
    assert first == again != other
    keys = [k for (k,) in rawdb.execute("SELECT idempotency_key FROM request ORDER BY id")]
    assert len(keys) == 2 and all(k.startswith("VPN parole: [REDACTED] #") for k in keys)
    assert not any(s in k for k in keys for s in SECRETS)
    # a retry with other content names the stored key, never the secret
    r = pd("register", "--name", "Cits Vārds", "--institution", "VP", "--service", "EPASTS",
           "--description", "Cits apraksts", "--channel", "phone", "--idempotency-key", key, "--redact")
    assert r.exit_code == 3 and "Sniegs2026" not in r.stderr
