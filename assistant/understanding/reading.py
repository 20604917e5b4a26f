"""A reading: non-overlapping spans chosen from every detector's, and the words left over.

Content spans (periods, operators, places, topics, the words that shape a question) are chosen
first, longest first, the lower tier winning a tie; context clauses, follow-up cues and filler
words then account for what they can of the rest.  Whatever no span accounts for is the
reading's ``uncovered`` words: the planner must use them or say them back, never drop them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.understanding.spans import Prepared, Span

GAP_SLOTS = ("followup", "context", "filler")


@dataclass
class Reading:
    q: Prepared
    spans: list[Span]
    uncovered: list[int] = field(default_factory=list)

    def of(self, *slots: str) -> list[Span]:
        return sorted((s for s in self.spans if s.slot in slots), key=lambda s: s.start)

    def first(self, *slots: str) -> Span | None:
        found = self.of(*slots)
        return found[0] if found else None

    def words(self, positions) -> str:
        return " ".join(self.q.tokens[i] for i in sorted(positions))

    @property
    def uncovered_text(self) -> str:
        return self.words(self.uncovered)

    def runs(self, positions=None) -> list[str]:
        """Uncovered words as runs of neighbouring words ('that were solved', 'in flats')."""
        pos = sorted(self.uncovered if positions is None else positions)
        out: list[list[int]] = []
        for p in pos:
            if out and p == out[-1][-1] + 1:
                out[-1].append(p)
            else:
                out.append([p])
        return [self.words(r) for r in out]

    def before(self, span: Span, slots: tuple[str, ...], gap: int = 2) -> Span | None:
        """A span of ``slots`` ending at most ``gap`` words before ``span`` (fillers between)."""
        best = None
        for s in self.spans:
            if s.slot in slots and s.end <= span.start and span.start - s.end <= gap:
                between = range(s.end, span.start)
                if all(self.slot_at(i) in ("filler", None) or self.q.tokens[i] in ("the", "a", "an", "any")
                       for i in between):
                    if best is None or s.end > best.end:
                        best = s
        return best

    def slot_at(self, i: int) -> str | None:
        for s in self.spans:
            if i in s.positions:
                return s.slot
        return None


def choose(q: Prepared, candidates: list[Span]) -> Reading:
    taken: set[int] = set()
    chosen: list[Span] = []
    content = [s for s in candidates if s.slot not in GAP_SLOTS]
    content.sort(key=lambda s: (-len(s.positions), s.tier, -s.score, s.start))
    for s in content:
        if s.positions & taken:
            continue
        chosen.append(s)
        taken |= s.positions
    gaps = [s for s in candidates if s.slot in GAP_SLOTS]
    gaps.sort(key=lambda s: (s.tier, -len(s.positions), s.start))
    for s in gaps:
        free = s.positions - taken
        if not free:
            continue
        if s.slot == "followup" and s.positions & taken:
            continue
        if s.slot == "context":
            # a context clause accounts for the words no content span took inside it
            for run in _runs(sorted(free)):
                chosen.append(Span("context", run[0], run[-1] + 1, s.value))
            taken |= free
            continue
        chosen.append(s)
        taken |= s.positions
    uncovered = [i for i in range(len(q.tokens)) if i not in taken]
    return Reading(q, sorted(chosen, key=lambda s: (s.start, s.end)), uncovered)


def _runs(pos: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for p in pos:
        if out and p == out[-1][-1] + 1:
            out[-1].append(p)
        else:
            out.append([p])
    return out
