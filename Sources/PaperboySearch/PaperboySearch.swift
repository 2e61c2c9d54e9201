// The embedding model and vector index live here (see the helpers' files).
