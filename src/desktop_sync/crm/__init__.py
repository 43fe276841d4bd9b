"""The CRM port: the records the engine reads from and writes to a CRM, and the
protocols a CRM connector implements (``types`` and ``port``). Imports only the domain."""
