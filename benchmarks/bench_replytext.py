"""What the user wrote (pd.replytext) on real-shaped and hostile mail, as a ratio to taking the
same mail apart (pd.intake.parse.parse, which the intake does first anyway), in the same run.

Run by hand:  .venv/bin/python benchmarks/bench_replytext.py [--rounds 5]

For each mail: the median of `rounds` CPU times (time.process_time) of parse(raw) and of
what_they_wrote(text) on the parsed text, interleaved round by round. The corpus is
tests/replytext/ (28 replies); the hostile mails are 1 MB each (SPEC: linear time).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pd.intake.parse import parse  # noqa: E402
from pd.replytext import what_they_wrote  # noqa: E402


def mail(body: str, subtype: str = "plain") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jānis Bērziņš <janis.berzins@vp.gov.lv>"
    msg["To"] = "servicedesk@ic.iem.gov.lv"
    msg["Subject"] = "Atb.: [PD 2026-000123] Neienāk e-pasts"
    msg.set_content(body, subtype=subtype)
    return bytes(msg)


def cases() -> dict[str, bytes]:
    corpus = sorted(p for p in (ROOT / "tests" / "replytext").iterdir() if p.suffix in (".txt", ".html"))
    out = {"corpus (every reply, together)": [mail(p.read_text(encoding="utf-8"), p.suffix.lstrip(".").replace(
        "txt", "plain")) for p in corpus]}
    quoted = "".join(f"> rinda {i} no vēstures\n" for i in range(45_000))
    out["1 MB: a reply over 45,000 quoted lines"] = [mail(
        "Labdien, dators neieslēdzas.\n\n2026. gada 7. dec. plkst. 10:15, Pakalpojumu dienests <s@x.lv> rakstīja:\n"
        + quoted)]
    out["1 MB without a newline"] = [mail("a" * 1_000_000)]
    out["1 MB of 'On … wrote' without a newline"] = [mail("On Monday John wrote " * 50_000)]
    out["1 MB: 100,000 header lines"] = [mail("From: x@y.lv\nSent: 1\n" * 50_000)]
    out["1 MB: 1,400 levels of '>'"] = [mail("\n".join(">" * i + " x" for i in range(1, 1_400)))]
    out["2 MB: 200,000 lines 'Ar cieņu,'"] = [mail("Ar cieņu,\n" * 200_000)]
    return out


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.rounds} rounds, median CPU time")
    print(f"{'mail':44} {'parse ms':>9} {'replytext ms':>13} {'ratio':>6}")
    for name, raws in cases().items():
        parse_t, reply_t = [], []
        for _ in range(args.rounds):
            mails: list = []
            parse_t.append(cpu(lambda: mails.extend(parse(r, max_attachment=25_000_000) for r in raws)))
            reply_t.append(cpu(lambda: [what_they_wrote("", m.text) if m.html else what_they_wrote(m.text)
                                        for m in mails]))
        p, r = statistics.median(parse_t) * 1000, statistics.median(reply_t) * 1000
        print(f"{name:44} {p:9.1f} {r:13.1f} {r / p:6.2f}")


if __name__ == "__main__":
    main()
