def test_whole_cycle(pd):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("resolve", n, "--result", "Pastkaste atbloķēta", user="jberzins")
    pd.ok("close", n, "--confirmed")
    d = pd.ok("show", n, "--json").json()
    assert d["status"] == "closed"
    assert [e["kind"] for e in d["events"]] == ["registered", "assigned", "accepted", "resolved", "closed"]
