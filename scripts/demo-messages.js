#!/usr/bin/env node
// Demo only: turns the probe's event log into SMS for smpp-send, so the main job shows messages
// really leaving over SMPP. Two campaign-like rules: a welcome for inbound roamers and an offer
// for a new handset. The real trigger table (campaigns, subscriber store, anti-harassment) is a
// later piece of work; until the subscriber store joins IMSI to MSISDN, the demo addresses each
// message to the subscriber's IMSI, which smpp-stub accepts and a real SMSC would not.
// Usage: node scripts/demo-messages.js EVENTS.jsonl > MESSAGES.jsonl
'use strict';
const fs = require('fs');
const [, , file] = process.argv;
if (!file) {
  console.error('usage: demo-messages.js EVENTS.jsonl');
  process.exit(2);
}
const text = {
  roaming_in: 'Welcome to China! Dial 10086 for local rates and data packs.',
  imei_change: '新手机？回复 5G 领取免费流量包。New phone? Reply 5G for a free data pack.',
};
let n = 0;
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  if (!line) continue;
  const e = JSON.parse(line);
  if (!(e.type in text) || !e.imsi) continue;
  // One message per subscriber and rule: the id is the durable outbox key (sent once, even if rerun).
  process.stdout.write(JSON.stringify({ id: `${e.type}-${e.imsi}`, src: '10086', dst: e.imsi, text: text[e.type] }) + '\n');
  n++;
}
console.error(`demo-messages: ${n} messages from ${file}`);
