#pragma once

// EndpointPool: the etcd endpoints a Client may use and the one it prefers now. A call that
// cannot reach an endpoint moves the preference on; a call that succeeds pins it.

#include <QtCore/QList>
#include <QtCore/QUrl>

namespace Conclave {

class EndpointPool
{
public:
    //! Replaces the endpoints; the first becomes current.
    void set(const QList<QUrl> &endpoints)
    {
        m_endpoints = endpoints;
        m_current = 0;
    }
    QList<QUrl> all() const { return m_endpoints; }
    bool isEmpty() const { return m_endpoints.isEmpty(); }
    int size() const { return int(m_endpoints.size()); }
    int current() const { return m_current; }
    //! The endpoint at \a index (clamped into range); empty when there are none.
    QUrl at(int index) const { return m_endpoints.value(clamp(index)); }
    int clamp(int index) const { return qBound(0, index, qMax(0, size() - 1)); }
    //! The endpoint tried after \a index.
    int after(int index) const { return isEmpty() ? 0 : (index + 1) % size(); }
    //! \a index could not be reached: if it was current, the next one is. True if that changed.
    bool markFailed(int index)
    {
        if (index != m_current || size() < 2)
            return false;
        m_current = after(m_current);
        return true;
    }
    //! A call succeeded at \a index: it is current. True if that changed.
    bool markGood(int index)
    {
        if (index == m_current || index < 0 || index >= size())
            return false;
        m_current = index;
        return true;
    }

private:
    QList<QUrl> m_endpoints;
    int m_current = 0;
};

} // namespace Conclave
