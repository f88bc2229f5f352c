"""When the AI hands off: the documented preset levels, or the advanced switches."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.models import AgentSettings, HandoffMode


@dataclass(frozen=True)
class HandoffPolicy:
    enabled: bool = True  # False: AI only, never hands off (forbidden topics excepted)
    on_request: bool = True
    on_frustration: bool = True
    on_unproductive: bool = True
    unproductive_after: int = 2  # AI replies without progress before handing off
    gather_first: bool = False  # ask for the problem before honouring a request for a person
    answers_before_request: int = 0  # AI attempts before honouring a request for a person
    frustration_strikes: int = 1  # frustrated messages needed


PRESETS = {
    0: HandoffPolicy(enabled=False, on_request=False, on_frustration=False, on_unproductive=False),
    1: HandoffPolicy(),
    2: HandoffPolicy(gather_first=True, unproductive_after=3),
    3: HandoffPolicy(gather_first=True, answers_before_request=2, frustration_strikes=2, unproductive_after=4),
}
LEVEL_NAMES = {0: "AI only", 1: "Quick handoff", 2: "Balanced", 3: "AI-first"}


def policy_for(settings: AgentSettings | None) -> HandoffPolicy:
    if settings is None:
        return PRESETS[1]
    if settings.handoff_mode == HandoffMode.ADVANCED:
        switches = settings.switches
        return HandoffPolicy(
            enabled=switches.enabled,
            on_request=switches.enabled and switches.on_request,
            on_frustration=switches.enabled and switches.on_frustration,
            on_unproductive=switches.enabled and switches.on_unproductive,
            unproductive_after=switches.unproductive_after,
        )
    return PRESETS.get(settings.handoff_level, PRESETS[1])
