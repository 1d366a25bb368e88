"""CSV imports in the browser: prospects through the bulk upsert of
`subjects.services.bulk`, withdrawals from a marketing tool through the ledger's bulk
withdrawal. Upload, map the columns, dry run, confirm, apply, download the result."""
