"""The law as pure functions: records, rules, policy, case numbers, IDs. No caches, no files written."""
