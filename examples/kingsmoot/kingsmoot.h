#pragma once
// Code written against kingsmoot's Candidate interface, kept as it is, on Conclave.
// kingsmoot called Candidate::UpdateMembership(MemberShip{Role, Leader}) whenever the role or
// the leader changed; here roleChanged and leaderChanged do, and the same roles carry over.
#include <conclave/elector.h>

#include <QtCore/QObject>

namespace kingsmoot {

// README snippet begins
using Role = Conclave::Elector::Role; // Leader, Follower, NotAMember: kingsmoot's three roles

struct MemberShip
{
    Role role = Role::NotAMember;
    QString leader; // the leader's node identifier, as given to Join (empty: none known)
};

class Candidate
{
public:
    virtual ~Candidate() = default;
    virtual void updateMembership(const MemberShip &memberShip) = 0;
};

// km.Join(nodeId, candidate) becomes join(&elector, nodeId, &candidate);
// the candidate must outlive the elector (it is told NotAMember when the elector goes).
inline void join(Conclave::Elector *elector, const QString &nodeId, Candidate *candidate)
{
    elector->setCandidateId(nodeId);
    auto notify = [elector, candidate] {
        candidate->updateMembership({elector->role(), elector->leader().id()});
    };
    QObject::connect(elector, &Conclave::Elector::roleChanged, elector, notify);
    QObject::connect(elector, &Conclave::Elector::leaderChanged, elector, notify);
    elector->campaign();
}
// README snippet ends

} // namespace kingsmoot
