// Node's own HTTPS client (tls + https), run by the checker. Prints one JSON
// line: the HTTP status (and with "body": true the body, which the mTLS pages
// fill with the verified subject), or the error's code and message.
'use strict';
const fs = require('fs');
const https = require('https');

const o = JSON.parse(process.argv[2]);
const opts = {
  host: o.host, port: o.port, servername: o.servername, path: '/',
  headers: { Host: 'localhost' }, timeout: 15000,
  ca: fs.readFileSync(o.ca), rejectUnauthorized: o.profile !== 'verify-none',
  agent: false,
};
if (o.profile === 'legacy') { opts.minVersion = 'TLSv1'; opts.ciphers = 'DEFAULT@SECLEVEL=0'; }
if (o.cert) { opts.cert = fs.readFileSync(o.cert); opts.key = fs.readFileSync(o.key); }

function done(out) { console.log(JSON.stringify(out)); process.exit(out.ok ? 0 : 1); }
const req = https.get(opts, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => { if (o.body) body += d; });
  res.on('end', () => done(o.body ? { ok: true, status: res.statusCode, body }
                                   : { ok: true, status: res.statusCode }));
  res.on('error', (e) => done({ ok: false, code: e.code || null, error: e.message }));
});
req.on('timeout', () => { req.destroy(new Error('client timeout')); });
req.on('error', (e) => done({ ok: false, code: e.code || null, error: e.message,
                               reason: e.reason || null }));
