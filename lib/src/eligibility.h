#pragma once

#include <QtCore/QObject>

#include <memory>

namespace Conclave {

class ElectorPrivate;
class GatewayReply;
class Watch;

/*!
 * The Elector's part for the state Ineligible ("Eligibility" in docs/election-protocol.md): out
 * of the queue, it still shows who leads, from the head's key (or, with nobody queued, the
 * whole election) read and watched.
 */
class Eligibility : public QObject
{
    Q_OBJECT
public:
    explicit Eligibility(ElectorPrivate &d);
    ~Eligibility() override;

    //! Reads the election's head and watches it (again).
    void observe();
    void clear();

private:
    void onHead(GatewayReply *reply, bool wholeQueue);

    ElectorPrivate &d;
    std::unique_ptr<Watch> m_head;
};

} // namespace Conclave
