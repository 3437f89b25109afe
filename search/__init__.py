"""Search for chenglai: analysis (keys), indexer (PublicView → Whoosh), query (text → query), service (WSGI).

The service reads only the index folder (documents plus `site.json`); it never reads content.
"""
