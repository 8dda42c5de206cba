"""Stand-in for transformers' utils/fetch_hub_objects_for_ci.py (not in the sdist).

test_processing_common.py only needs ``url_to_local_path``: the CI pre-downloads media files
into the working directory and this maps a URL to that local copy, or returns the URL itself.
No download happens here (the harness runs offline).
"""

import os


def url_to_local_path(url, return_url_if_not_found=True):
    filename = url.split("/")[-1]
    if not os.path.exists(filename) and return_url_if_not_found:
        return url
    return filename
