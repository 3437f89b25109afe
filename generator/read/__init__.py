"""Record files to the public view: parse (memoised by content), check, decide."""
