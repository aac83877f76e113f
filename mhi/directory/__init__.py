"""The partnership's directory: organisations, people, affiliations, the partnership and its leads."""
