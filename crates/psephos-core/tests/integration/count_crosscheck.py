"""Counts the elections of count_crosscheck.rs with independent implementations.

Reads a JSON list of elections ({"candidates": n, "seats": s, "ballots": [[c, ...], ...]},
candidates 0-based, most preferred first) on stdin and writes one JSON object per election:
  irv:              the winner by pyrankvote's instant_runoff_voting
  stv:              the winners by pyrankvote's single_transferable_vote (its own STV rules)
  schulze_d:        schulze_condorcet's pairwise preferences d[i][j]
  schulze_winners:  schulze_condorcet's winners (winning votes, no tie-breaking)
Exits 3 with a message naming the missing package when an implementation is not installed.
"""
import json
import sys

try:
    from pyrankvote import Ballot, Candidate, instant_runoff_voting, single_transferable_vote
    from schulze_condorcet import pairwise_preference, schulze_evaluate
except ImportError as e:  # pragma: no cover
    print(f"MISSING: {e}; install with: python3 -m pip install pyrankvote==2.0.6 "
          "schulze-condorcet==2.0.1", file=sys.stderr)
    sys.exit(3)


def winning_votes(*, support, opposition, totalvotes):
    # Plain winning votes (docs/protocol.md §13.10.5), not the package's default refinement
    # that also weighs the opposition.
    return support if support > opposition else 0


def count(e):
    n = e["candidates"]
    names = [Candidate(str(c)) for c in range(n)]
    cast = [Ballot([names[c] for c in b]) for b in e["ballots"] if b]
    out = {}
    out["irv"] = int(instant_runoff_voting(names, cast).get_winners()[0].name)
    out["stv"] = sorted(
        int(c.name) for c in single_transferable_vote(names, cast, e["seats"]).get_winners()
    )
    labels = [str(c) for c in range(n)]
    votes = []
    for b in e["ballots"]:
        ranked = [str(c) for c in b]
        rest = [c for c in labels if c not in ranked]
        levels = ranked + (["=".join(rest)] if rest else [])
        votes.append(">".join(levels))
    d = pairwise_preference(votes, labels)
    out["schulze_d"] = [[d[(a, b)] if a != b else 0 for b in labels] for a in labels]
    result = schulze_evaluate(votes, labels, strength=winning_votes)
    out["schulze_winners"] = sorted(int(c) for c in result.split(">")[0].split("="))
    return out


json.dump([count(e) for e in json.load(sys.stdin)], sys.stdout)
