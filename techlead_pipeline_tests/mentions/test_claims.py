"""Reply claims: of evaluations racing to answer one mention, exactly one may post."""

from __future__ import annotations

import threading

from techlead_pipeline.mentions.claims import NEW, TAKEN_OVER, ReplyClaims


def test_of_racing_callers_exactly_one_claims_an_answer(instance):
    claims = ReplyClaims(instance)
    barrier, won = threading.Barrier(8), []

    def race():
        barrier.wait()
        won.append(claims.claim("1001", "refusal"))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert won.count(NEW) == 1 and won.count(None) == 7
    assert claims.claim("1001", "reply") == NEW  # another kind of answer is its own claim


def test_a_finished_answer_is_never_claimed_again_and_a_released_one_is(instance):
    claims = ReplyClaims(instance, stale_after_s=0)
    assert claims.claim("7", "refusal") == NEW
    claims.release("7", "refusal")  # posting failed: the next tick tries again
    assert claims.claim("7", "refusal") == NEW
    claims.finish("7", "refusal")
    assert claims.claim("7", "refusal") is None  # even once "stale": it was done


def test_a_claim_whose_owner_died_is_taken_over_after_a_while(instance):
    assert ReplyClaims(instance).claim("9", "refusal") == NEW  # its owner dies before finishing
    assert ReplyClaims(instance).claim("9", "refusal") is None  # too recent: maybe still posting
    assert ReplyClaims(instance, stale_after_s=0).claim("9", "refusal") == TAKEN_OVER
