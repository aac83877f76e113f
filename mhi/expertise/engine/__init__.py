"""The expertise engine without the database: embeddings, the lexical index and people ranking.

Everything here works on plain texts and arrays, so `mhi expertise-score` can run it on benchmark files,
and the database-backed index (mhi/expertise/index.py) feeds it the stored vectors.
"""
