"""The pipeline around Pelican: workers, writer, leak gate, generations and the commit."""
