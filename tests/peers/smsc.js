// Peer SMSC built on the npm `smpp` package (an SMPP implementation independent of ours), for
// the client tests. Accepts bind_transceiver/transmitter/receiver (checks credentials), answers
// submit_sm with a message id, records each part and each reassembled message as JSON lines
// (text decoded by the package itself), sends a delivery receipt for registered_delivery and,
// with --reply, one subscriber reply (MO) per message.
// Usage: node smsc.js --out FILE [--port 0] [--system-id ID] [--password PW] [--reply TEXT]
//        [--throttle-every N]   (answer every Nth submit_sm with ESME_RTHROTTLED)
// Prints {"port":N} on stdout once listening; exits on SIGTERM/SIGINT after a summary line.
'use strict';
const smpp = require('smpp');
const fs = require('fs');

const args = { port: 0, 'system-id': 'bssap', password: 'secret', out: null, reply: null, 'throttle-every': 0 };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const out = fs.openSync(args.out, 'a');
const write = (o) => fs.writeSync(out, JSON.stringify(o) + '\n');

let nextId = 1;
let submits = 0;
const seen = new Set();
const pending = new Map();  // concat key -> parts
const counts = { binds: 0, bind_rejected: 0, submit_sm: 0, duplicates: 0, messages: 0, receipts: 0, mo: 0,
                 deliver_sm_resp: 0, throttled: 0, enquire_link: 0, unbind: 0 };

function concatOf(udhList) {
  for (const u of udhList || []) {
    if (u[0] === 0x00 && u[1] === 3) return { ref: u[2], total: u[3], seq: u[4] };
    if (u[0] === 0x08 && u[1] === 4) return { ref: u.readUInt16BE(2), total: u[4], seq: u[5] };
  }
  return null;
}

const server = smpp.createServer((session) => {
  const onBind = (pdu) => {
    if (pdu.system_id !== args['system-id'] || pdu.password !== args.password) {
      counts.bind_rejected++;
      const st = pdu.system_id !== args['system-id'] ? smpp.ESME_RINVSYSID : smpp.ESME_RINVPASWD;
      session.send(pdu.response({ command_status: st }));
      session.close();
      return;
    }
    counts.binds++;
    session.send(pdu.response({ system_id: 'node-smsc' }));
  };
  session.on('bind_transceiver', onBind);
  session.on('bind_transmitter', onBind);
  session.on('bind_receiver', onBind);
  session.on('enquire_link', (pdu) => { counts.enquire_link++; session.send(pdu.response()); });
  session.on('unbind', (pdu) => { counts.unbind++; session.send(pdu.response()); session.close(); });
  session.on('deliver_sm_resp', () => { counts.deliver_sm_resp++; });
  session.on('error', () => {});
  session.on('submit_sm', (pdu) => {
    counts.submit_sm++;
    submits++;
    if (args['throttle-every'] > 0 && submits % Number(args['throttle-every']) === 0) {
      counts.throttled++;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    const id = 'N' + (nextId++);
    session.send(pdu.response({ message_id: id }));
    const sm = pdu.short_message || {};
    const text = typeof sm.message === 'string' ? sm.message : (sm.message || Buffer.alloc(0)).toString('latin1');
    const concat = concatOf(sm.udh);
    const umr = pdu.user_message_reference;
    const key = [pdu.source_addr, pdu.destination_addr, umr, concat ? concat.seq : 1].join('|');
    const dup = umr !== undefined && seen.has(key);
    if (umr !== undefined) seen.add(key);
    if (dup) counts.duplicates++;
    write({ type: 'part', message_id: id, src: pdu.source_addr, dst: pdu.destination_addr,
            data_coding: pdu.data_coding, esm_class: pdu.esm_class, umr, concat, text, dup,
            registered_delivery: pdu.registered_delivery, validity: pdu.validity_period || null });
    let complete = null;
    if (!dup) {
      if (!concat || concat.total <= 1) {
        complete = { text, parts: 1, ids: [id] };
      } else {
        const k = [pdu.source_addr, pdu.destination_addr, concat.ref, concat.total].join('|');
        const e = pending.get(k) || { parts: new Array(concat.total), ids: [], n: 0 };
        if (e.parts[concat.seq - 1] === undefined) { e.parts[concat.seq - 1] = text; e.n++; e.ids.push(id); }
        pending.set(k, e);
        if (e.n === concat.total) { pending.delete(k); complete = { text: e.parts.join(''), parts: concat.total, ids: e.ids }; }
      }
    }
    if (complete) {
      counts.messages++;
      write({ type: 'message', src: pdu.source_addr, dst: pdu.destination_addr, text: complete.text,
              parts: complete.parts, message_ids: complete.ids, umr, data_coding: pdu.data_coding });
      if (args.reply) {
        counts.mo++;
        session.deliver_sm({ source_addr: pdu.destination_addr, destination_addr: pdu.source_addr,
                             source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 1, dest_addr_npi: 1,
                             short_message: args.reply });
      }
    }
    if (pdu.registered_delivery & 0x03) {
      counts.receipts++;
      session.deliver_sm({
        source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, esm_class: 0x04,
        short_message: `id:${id} sub:001 dlvrd:001 submit date:2611231200 done date:2611231200 stat:DELIVRD err:000 text:`,
        receipted_message_id: id, message_state: 2 });
    }
  });
});

server.listen(Number(args.port), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
const stop = () => {
  write(Object.assign({ type: 'summary' }, counts));
  fs.closeSync(out);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
