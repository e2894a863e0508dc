"""Pages and actions for signed-in users, one module per group of views (their
tests are tests/web/test_<module>.py). Every object view starts with the
owner-scoped lookup of transcripts.ownership; state changes are POST only
(CSRF-checked)."""
