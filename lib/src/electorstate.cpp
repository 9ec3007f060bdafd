#include "electorstate.h"

#include <QtCore/QMetaEnum>

namespace Conclave {

Elector::Role roleIn(ElectorState state, Elector::Role current)
{
    using Role = Elector::Role;
    switch (state) {
    case ElectorState::Leading:
    case ElectorState::LeadingBlind:
        return Role::Leader;
    case ElectorState::Requeuing:
    case ElectorState::Following:
    case ElectorState::NextInLine:
    case ElectorState::Releasing:
    case ElectorState::HandingOver:
        return Role::Follower;
    case ElectorState::Claiming:
        return current == Role::Leader ? Role::Follower : current;
    case ElectorState::Idle:
    case ElectorState::AwaitingLease:
    case ElectorState::Joining:
    case ElectorState::Suspended:
    case ElectorState::Withdrawing:
    case ElectorState::Ineligible:
    case ElectorState::Leaving:
        break;
    }
    return Role::NotAMember;
}

const char *stateName(ElectorState state)
{
    return QMetaEnum::fromType<ElectorState>().valueToKey(int(state));
}

bool suspendsIn(ElectorState state)
{
    switch (state) {
    case ElectorState::Joining:
    case ElectorState::Requeuing:
    case ElectorState::Following:
    case ElectorState::NextInLine:
    case ElectorState::Claiming:
    case ElectorState::Leading:
    case ElectorState::LeadingBlind:
        return true;
    default:
        return false;
    }
}

} // namespace Conclave
