"""E-mail, one room: what the desk tells whom, and how it gets there.

* ``render``    — the editable templates (``templates/<lang>/<kind>.txt``, ``PD_TEMPLATES_DIR``);
* ``notices``   — who is told what, queued in the outbox in the change's transaction (SPEC 6);
* ``compose``   — RFC 5322 bytes and the thread headers;
* ``transport`` — SMTP and ``.eml`` directory delivery, retry back-off;
* ``outbox``    — ``pd mail send|retry``: claim, send, mark sent.

The domain calls into this package; nothing here imports the desk at run time.
Nothing is imported here, so ``import pd.mail.notices`` stays light.
"""
