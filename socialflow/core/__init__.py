"""The seams every domain app plugs into: domain exceptions, events, the access layer, the audit
trail, money. Nothing in here imports a domain app."""
