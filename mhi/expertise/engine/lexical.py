"""The lexical side of ranking: TF-IDF vectors (scikit-learn) over the same texts as the embeddings.

Exact terms (gene names, drugs, techniques) matter in expert finding and sentence embeddings blur them;
the ranking adds the two similarities.
"""

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer


class LexicalIndex:
    def __init__(self, texts: list[str]):
        self.vectorizer = TfidfVectorizer(
            lowercase=True,
            strip_accents="unicode",
            stop_words="english",
            sublinear_tf=False,
            token_pattern=r"(?u)\b[^\W\d_][\w\-]{2,}\b",
            dtype=np.float32,
        )
        # Held by column (CSC): a query's cosines need only its own terms' columns, which is an inverted index.
        matrix = self.vectorizer.fit_transform(texts) if texts else sparse.csr_matrix((0, 0), dtype=np.float32)
        self.matrix = matrix.tocsc()

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        return self.vectorizer.transform(texts)

    def similarities(self, query: str) -> np.ndarray:
        """The TF-IDF cosine of every text to the query, reading only the columns of the query's terms."""
        if self.matrix.shape[1] == 0:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        terms = self.vectorizer.transform([query])
        columns, weights = terms.indices, terms.data
        if columns.size == 0:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, columns] @ weights, dtype=np.float32).ravel()

    def shared_terms(self, query: str, text: str, *, limit: int = 8) -> list[str]:
        """The words a query and a text share, most distinctive first: part of a result's explanation."""
        analyse = self.vectorizer.build_analyzer()
        common = set(analyse(query)) & set(analyse(text))
        vocabulary, idf = self.vectorizer.vocabulary_, self.vectorizer.idf_
        ranked = sorted(common, key=lambda t: -idf[vocabulary[t]] if t in vocabulary else 0)
        return ranked[:limit]
