// The Elector's states: the role each shows, and docs/architecture.md kept in step with the
// enum (its state diagram) and with lib/ (every file named with its job).
#include "electorstate.h"

#include <QtCore/QDir>
#include <QtCore/QDirIterator>
#include <QtCore/QFile>
#include <QtCore/QMetaEnum>
#include <QtCore/QRegularExpression>
#include <QtTest/QtTest>

using namespace Conclave;
using Role = Elector::Role;

class tst_ElectorState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roles_data();
    void roles();
    void claimingNeverShowsLeader();
    void onlyStatesThatCouldLeadAreSuspended();
    void namesForLogs();
    void diagramNamesEveryState();
    void architectureNamesEveryLibraryFile();

private:
    static QString architecture();
    static QString diagram();
};

QString tst_ElectorState::architecture()
{
    QFile f(QStringLiteral(CONCLAVE_SOURCE_DIR "/docs/architecture.md"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll());
}

// The mermaid block under "## The Elector's states".
QString tst_ElectorState::diagram()
{
    const QString text = architecture();
    const qsizetype section = text.indexOf(QStringLiteral("## The Elector's states"));
    if (section < 0)
        return {};
    const qsizetype start = text.indexOf(QStringLiteral("```mermaid"), section);
    const qsizetype end = start < 0 ? -1 : text.indexOf(QStringLiteral("```"), start + 10);
    return end < 0 ? QString() : text.mid(start, end - start);
}

void tst_ElectorState::roles_data()
{
    QTest::addColumn<ElectorState>("state");
    QTest::addColumn<Role>("role");
    using S = ElectorState;
    for (S s : {S::Leading, S::LeadingBlind})
        QTest::newRow(stateName(s)) << s << Role::Leader;
    for (S s : {S::Requeuing, S::Following, S::NextInLine, S::Releasing, S::HandingOver})
        QTest::newRow(stateName(s)) << s << Role::Follower;
    for (S s : {S::Idle, S::AwaitingLease, S::Joining, S::Suspended, S::Withdrawing, S::Ineligible, S::Leaving})
        QTest::newRow(stateName(s)) << s << Role::NotAMember;
}

void tst_ElectorState::roles()
{
    QFETCH(ElectorState, state);
    QFETCH(Role, role);
    for (Role from : {Role::NotAMember, Role::Follower, Role::Leader})
        QCOMPARE(roleIn(state, from), role);
}

void tst_ElectorState::claimingNeverShowsLeader()
{
    QCOMPARE(roleIn(ElectorState::Claiming, Role::NotAMember), Role::NotAMember); // a first join
    QCOMPARE(roleIn(ElectorState::Claiming, Role::Follower), Role::Follower);
    QCOMPARE(roleIn(ElectorState::Claiming, Role::Leader), Role::Follower);     // the blind leader's grace ran out
}

void tst_ElectorState::onlyStatesThatCouldLeadAreSuspended()
{
    const QMetaEnum e = QMetaEnum::fromType<ElectorState>();
    for (int i = 0; i < e.keyCount(); ++i) {
        const auto s = ElectorState(e.value(i));
        const bool couldLead = s == ElectorState::Joining || s == ElectorState::Requeuing
                || s == ElectorState::Following || s == ElectorState::NextInLine
                || s == ElectorState::Claiming || s == ElectorState::Leading || s == ElectorState::LeadingBlind;
        QCOMPARE(suspendsIn(s), couldLead);
    }
}

void tst_ElectorState::namesForLogs()
{
    QCOMPARE(QByteArray(stateName(ElectorState::NextInLine)), QByteArray("NextInLine"));
    QCOMPARE(QByteArray(stateName(ElectorState::Idle)), QByteArray("Idle"));
}

void tst_ElectorState::diagramNamesEveryState()
{
    const QString block = diagram();
    QVERIFY2(!block.isEmpty(), "docs/architecture.md has no mermaid diagram under \"## The Elector's states\"");
    const QMetaEnum e = QMetaEnum::fromType<ElectorState>();
    QVERIFY(e.keyCount() >= 15);
    QStringList missing;
    for (int i = 0; i < e.keyCount(); ++i) {
        const QString name = QString::fromLatin1(e.key(i));
        // A state node: the name as a whole word, at either end of an edge.
        const QRegularExpression node(QStringLiteral("(^|\\s)%1(\\s|:|$)").arg(name), QRegularExpression::MultilineOption);
        if (!node.match(block).hasMatch())
            missing << name;
    }
    QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("the diagram does not name: ") + missing.join(QStringLiteral(", "))));
    // And names nothing the enum lacks (a renamed state left behind).
    const QRegularExpression edge(QStringLiteral("^\\s*(\\w+) --> (\\w+)"), QRegularExpression::MultilineOption);
    for (auto it = edge.globalMatch(block); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        for (const QString &name : {m.captured(1), m.captured(2)}) {
            bool ok = false;
            e.keyToValue(name.toLatin1().constData(), &ok);
            QVERIFY2(ok, qPrintable(QStringLiteral("the diagram names a state the enum lacks: ") + name));
        }
    }
}

void tst_ElectorState::architectureNamesEveryLibraryFile()
{
    const QString text = architecture();
    QVERIFY(!text.isEmpty());
    QStringList missing;
    const QString lib = QStringLiteral(CONCLAVE_SOURCE_DIR "/lib");
    for (const QString &sub : {QStringLiteral("src"), QStringLiteral("include/conclave")}) {
        QDirIterator it(lib + QLatin1Char('/') + sub, {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files);
        while (it.hasNext()) {
            const QFileInfo file(it.next());
            const QString stem = sub + QLatin1Char('/') + file.completeBaseName();
            if (!text.contains(sub + QLatin1Char('/') + file.fileName()) && !text.contains(stem + QStringLiteral(".{h,cpp}")))
                missing << sub + QLatin1Char('/') + file.fileName();
        }
    }
    missing.sort();
    QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("docs/architecture.md does not name: ") + missing.join(QStringLiteral(", "))));
}

QTEST_GUILESS_MAIN(tst_ElectorState)
#include "tst_electorstate.moc"
