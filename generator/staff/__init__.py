"""Staff tools: import, editing record files, tables, the fictitious demo."""
