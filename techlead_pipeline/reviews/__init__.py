"""Stage 4: reviewing a pull request in the lead's voice and posting the review.

The way a review goes, module by module (service.py runs it):

  pull_request.py, incremental.py   the pull request's diff, and what changed since the bot's last review
  hunks.py                          hunks: each chunk of the diff, its candidate lines, the code around them
  backends/choose.py                the backend the served version's gate chose
  backends/where_placed.py          where to speak: the where-model's ranking (where/), at most the cap
  backends/retrieval.py, generative.py, local.py (+ decoding.py), vllm.py
                                    drafts: her nearest past comment, or the adapter's words
  floor.py, fit.py                  the floor and the fit: what is no review, or not about this code, is dropped
  repeats.py, said_before.py, lessons.py
                                    each ask once; nothing said before; not where she turned the bot down
  post.py                           one review, its comments on their lines
"""
