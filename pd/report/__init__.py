"""The monthly report [SPEC 8, §11], one package:

* ``rows``     — ReportRow (one request as the report shows it), its columns, the month;
* ``ledger``   — the rows, escalations, trend and open requests from the ledger;
* ``measures`` — the totals, deadlines met, resolution times, the fingerprint;
* ``xlsx``     — the workbooks (openpyxl, imported only here);
* ``csv_json`` — CSV for a spreadsheet, JSON for scripts;
* ``send``     — queueing the reports for their recipients through the outbox.

Nothing is imported here: ``pd report`` pays for what it uses.
"""
