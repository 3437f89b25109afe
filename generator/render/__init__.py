"""The public view to files: pages, feeds, open data, notices, statistics, sitemaps."""
