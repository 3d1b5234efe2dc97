'use strict';
// Generates the key material the auth interop servers and tests use, into DIR (argv[2]):
//   rsa.key.pem / rsa.pub.pem    RSA 2048 (PKCS#8 private, SPKI public) for --jwt-public-key (RS256)
//   ec-a.key.pem, ec-b.key.pem   two P-256 keys (ES256), kids "ec-a" and "ec-b"
//   ed.key.pem                   an Ed25519 key (EdDSA), kid "ed-1"
//   other-ec.key.pem             a P-256 key that is NOT in the JWKS (signs "wrong key" tokens)
//   jwks.json                    the public halves of ec-a, ec-b and ed-1 for --jwks
// Node's own crypto module: no extra dependency, and present wherever the Node tests run.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node keys.js DIR');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });

function save(name, keyObject) {
  fs.writeFileSync(path.join(dir, name), keyObject.export({ type: 'pkcs8', format: 'pem' }));
}

function jwk(publicKey, kid, alg) {
  return { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
save('rsa.key.pem', rsa.privateKey);
fs.writeFileSync(path.join(dir, 'rsa.pub.pem'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));

const ecA = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecB = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = crypto.generateKeyPairSync('ed25519');
const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
save('ec-a.key.pem', ecA.privateKey);
save('ec-b.key.pem', ecB.privateKey);
save('ed.key.pem', ed.privateKey);
save('other-ec.key.pem', other.privateKey);

const jwks = {
  keys: [jwk(ecA.publicKey, 'ec-a', 'ES256'), jwk(ecB.publicKey, 'ec-b', 'ES256'), jwk(ed.publicKey, 'ed-1', 'EdDSA')],
};
fs.writeFileSync(path.join(dir, 'jwks.json'), `${JSON.stringify(jwks, null, 2)}\n`);
