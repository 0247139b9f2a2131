"""Collectors: the only package that talks to AWS (boto3). Read-only calls, adaptive retries."""
