#pragma once

// The Elector's states: one enum, read by the machine (ElectorPrivate::transition) and named in
// its logs. The diagram, with what moves an Elector from one state to the next, is in
// docs/architecture.md ("The Elector's states"); tst_electorstate checks that it names every
// value below.

#include <conclave/elector.h>

#include <QtCore/QObject>

namespace Conclave::ElectorStates {
Q_NAMESPACE

enum class State {
    Idle,          //!< not campaigning
    AwaitingLease, //!< campaigning; our lease is being granted (at first, or after it was lost)
    Joining,       //!< in the lease: our key being created, then its place in the queue read
    Requeuing,     //!< the same after stepping down (resign, handover): shown as a Follower
    Following,     //!< behind a candidate that does not lead: its key and the leader's watched
    NextInLine,    //!< right behind the leader: one watch over its key and ours (the claim)
    Claiming,      //!< first in the queue; may lead once the watch on our key is live
    Leading,       //!< first, our key watched, the lease proven
    LeadingBlind,  //!< leading while the watch on our key is re-placed (at most 500 ms)
    Suspended,     //!< the lease's renewals unproven: not leading until they are
    Releasing,     //!< stepped down (resign, handover); our key kept until the hold is lifted
    HandingOver,   //!< the handover txn to a chosen candidate in flight
    Withdrawing,   //!< became ineligible while leading; our key kept until the hold is lifted
    Ineligible,    //!< out of the queue (no key), following the election's leader
    Leaving,       //!< leave() while the hold is on: our key kept until it is lifted, then Idle
};
Q_ENUM_NS(State)

} // namespace Conclave::ElectorStates

namespace Conclave {

using ElectorState = ElectorStates::State;

//! The role an Elector shows in \a state (Elector::role()), coming from \a current: every state
//! has its role, except that Claiming keeps the role it came with (never Leader).
Elector::Role roleIn(ElectorState state, Elector::Role current);
//! "Following", for logs.
const char *stateName(ElectorState state);
//! Whether the lease's renewals going unproven moves an Elector in \a state to Suspended (the
//! states that could lead; the others lead in no case, and keep what they wait for).
bool suspendsIn(ElectorState state);

} // namespace Conclave
