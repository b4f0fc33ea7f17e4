// Peer ESME built on the npm `smpp` package, for the smpp-stub tests: binds as transceiver,
// submits the messages of a JSON-lines file (long ones split here with an 8-bit concatenation
// UDH by this script, so the stub's reassembly is checked against another splitter), waits for
// a receipt per part, answers every deliver_sm, then unbinds.
// Usage: node esme.js --port P --in FILE.jsonl [--system-id ID] [--password PW] [--timeout-ms T]
// Input lines: {"src":"...","dst":"...","text":"..."}. Prints one JSON summary line and exits
// 0 when every part was acknowledged (and receipted), 1 otherwise; a rejected bind prints
// {"bind_status":N} and exits 3.
'use strict';
const smpp = require('smpp');
const fs = require('fs');

const args = { port: 2775, 'system-id': 'bssap', password: 'secret', in: null, 'timeout-ms': 10000 };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const messages = fs.readFileSync(args.in, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

const gsmRe = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà\f^{}\\[~\]|€]*$/;
const extChars = '\f^{}\\[~]|€';

// Split into parts the way a handset would: GSM 153 septets (escapes count 2, never split),
// UCS-2 67 UTF-16 units (surrogate pairs never split).
function split(text) {
  const gsm = gsmRe.test(text);
  const chars = Array.from(text);
  const cost = (c) => (gsm ? (extChars.includes(c) ? 2 : 1) : c.length);
  const total = chars.reduce((a, c) => a + cost(c), 0);
  if (total <= (gsm ? 160 : 70)) return { gsm, parts: [text] };
  const limit = gsm ? 153 : 67;
  const parts = [];
  let cur = '';
  let n = 0;
  for (const c of chars) {
    if (n + cost(c) > limit) { parts.push(cur); cur = ''; n = 0; }
    cur += c; n += cost(c);
  }
  if (cur) parts.push(cur);
  return { gsm, parts };
}

const session = smpp.connect({ host: '127.0.0.1', port: Number(args.port) });
let acked = 0, failed = 0, receipts = 0, expected = 0, mo = 0;
const statuses = {};
const done = (code) => {
  process.stdout.write(JSON.stringify({ parts: expected, acked, failed, receipts, mo, statuses }) + '\n');
  process.exit(code);
};
session.on('error', (e) => { process.stderr.write('esme: ' + e.message + '\n'); done(1); });
session.on('deliver_sm', (pdu) => {
  if (pdu.esm_class & 0x04) receipts++; else mo++;
  session.send(pdu.response());
  check();
});
session.on('enquire_link', (pdu) => session.send(pdu.response()));
function check() {
  if (acked + failed === expected && receipts >= acked) {
    session.unbind(() => { session.close(); done(failed === 0 ? 0 : 1); });
  }
}
setTimeout(() => done(1), Number(args['timeout-ms']));

session.bind_transceiver({ system_id: args['system-id'], password: args.password }, (r) => {
  if (r.command_status !== 0) {
    process.stdout.write(JSON.stringify({ bind_status: r.command_status }) + '\n');
    process.exit(3);
  }
  let ref = 0;
  for (const m of messages) {
    const { gsm, parts } = split(m.text);
    ref = (ref + 1) & 0xff;
    parts.forEach((p, i) => {
      expected++;
      const sm = parts.length > 1
        ? { udh: Buffer.from([0x05, 0x00, 0x03, ref, parts.length, i + 1]), message: p }
        : p;
      session.submit_sm({
        source_addr: m.src, destination_addr: m.dst, source_addr_ton: 1, source_addr_npi: 1,
        dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1, data_coding: gsm ? 0x00 : 0x08,
        short_message: sm,
      }, (resp) => {
        statuses[resp.command_status] = (statuses[resp.command_status] || 0) + 1;
        if (resp.command_status === 0) acked++; else failed++;
        check();
      });
    });
  }
});
