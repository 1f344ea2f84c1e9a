"""pd show tells every event (issue 17): escalation notes, mail with its sender and subject, names in the
right case ("no Ingas Pūpolas", not "no Inga Pūpola")."""
from __future__ import annotations

import pytest

from pd.notify.wording import genitive
from tests import intake_mail as M


@pytest.mark.parametrize("name, gen", [
    ("Inga Pūpola", "Ingas Pūpolas"), ("Jānis Bērziņš", "Jāņa Bērziņa"), ("Ilze Šķēle", "Ilzes Šķēles"),
    ("Kārlis Vītols", "Kārļa Vītola"), ("Andris Ozols", "Andra Ozola"), ("Māris Liepa", "Māra Liepas"),
    ("Anna Kalniņa-Ozola", "Annas Kalniņas-Ozolas"), ("John Smith", None), ("Inga", None),
])
def test_genitive_of_latvian_names(name, gen):
    assert genitive(name) == gen


def test_show_names_the_sender_in_the_genitive_and_the_escalation_note(pd):
    n = pd.register(description="Nestrādā e-pasts")
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("reject", n, "--reason", "Tas ir VPN", user="jberzins")
    pd.ok("escalate", n, "--reason", "unjustified-rejection", "--note", "Pakalpojums ir eksperta kompetencē")
    r = pd("mail", "ingest", user="system", input=M.plain(sender="Inga Pūpola <inga.pupola@vugd.gov.lv>",
                                                           subject=f"Re: [PD {n}] Nestrādā", body="Vai ir ziņas?\n"))
    assert r.exit_code == 0, r.stderr
    shown = " ".join(pd.ok("show", n).stdout.split())
    assert "operatora piezīme: Pakalpojums ir eksperta kompetencē" in shown
    assert f"saņemts e-pasts no Ingas Pūpolas <inga.pupola@vugd.gov.lv> «Re: [PD {n}] Nestrādā»: Vai ir ziņas?" \
        in shown


def test_mail_to_a_closed_request_names_its_sender_and_subject(pd):
    n = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", n, "--result", "Izskaidrots")
    pd.ok("close", n, "--confirmed")
    r = pd("mail", "ingest", "--json", user="system",
           input=M.plain(sender="Jānis Bērziņš <janis.berzins@vp.gov.lv>", subject=f"Re: [PD {n}] Konsultācija"))
    item = r.json()["intake"]
    shown = " ".join(pd.ok("show", n).stdout.split())
    assert (f"saņemts e-pasts slēgtam pieteikumam no Jāņa Bērziņa <janis.berzins@vp.gov.lv> «Re: [PD {n}] "
            f"Konsultācija» (jauns ienākošais vienums {item})") in shown
    assert " - «-»" not in shown
