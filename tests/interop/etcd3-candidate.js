// A candidate of etcd's election recipe written with etcd3 for Node.js (its Election class:
// keys `election/<name>/<lease id in decimal>`), driven by tests/tst_interop.cpp.
//   node etcd3-candidate.js ENDPOINT NAME PROPOSAL [TTL]
// One JSON line per event on stdout: {"event":"campaigning","key":…}, {"event":"elected"},
// {"event":"resigning"} (printed before the key is deleted), {"event":"resigned"},
// {"event":"error","message":…}. Commands on stdin, one per line: "resign", "quit".
'use strict';
const readline = require('readline');
const { Etcd3 } = require('etcd3');

const [endpoint, name, proposal, ttl] = process.argv.slice(2);
if (!endpoint || !name || !proposal) {
    process.stderr.write('usage: etcd3-candidate.js ENDPOINT NAME PROPOSAL [TTL]\n');
    process.exit(2);
}
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const client = new Etcd3({ hosts: endpoint });
const election = client.election(name, Number(ttl || 5));
let campaign = null;
let leading = false;

function start() {
    campaign = election.campaign(proposal);
    campaign.on('elected', () => { leading = true; say({ event: 'elected' }); });
    campaign.on('error', (e) => { leading = false; say({ event: 'error', message: String(e) }); });
    campaign.getCampaignKey().then((key) => say({ event: 'campaigning', key }));
}

async function resign() {
    if (!campaign)
        return;
    // Stop acting as leader before the key goes, as a careful service would.
    if (leading)
        say({ event: 'resigning' });
    leading = false;
    const c = campaign;
    campaign = null;
    await c.resign();
    say({ event: 'resigned' });
}

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    const command = line.trim();
    try {
        if (command === 'resign')
            await resign();
        else if (command === 'campaign')
            start();
        else if (command === 'quit') {
            await resign();
            client.close();
            process.exit(0);
        }
    } catch (e) {
        say({ event: 'error', message: String(e) });
    }
});
start();
