"""What users run: the live app (:mod:`.live`, :mod:`.video`, :mod:`.overlay`), photos
(:mod:`.predict`) and the web page (:mod:`.serve`, with its ``static/`` files)."""
