"""pd — the Service Desk ledger of the Information Centre of the Ministry of the Interior."""

__version__ = "0.1.0"
