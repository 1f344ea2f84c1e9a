"""Mail out: what the desk tells whom, and how it gets there.

* ``render``    — the mail templates (``mails``: catalog entries; a site's own in ``PD_TEMPLATES_DIR``);
* ``notices``   — who is told what, queued in the outbox in the change's transaction (SPEC 6);
* ``compose``   — RFC 5322 bytes and the thread headers;
* ``transport`` — SMTP and ``.eml`` directory delivery, retry back-off;
* ``outbox``    — ``pd mail send|retry``: claim, send, mark sent.

The process hands this package what a message needs; nothing here asks the desk.
Nothing is imported here, so ``import pd.notify.notices`` stays light.
"""
