'use strict';
// Public keys: RS256 with --jwt-public-key (PEM SPKI), and a JWKS (--jwks) with two ES256 keys
// (kids ec-a, ec-b) and an EdDSA key (kid ed-1), selected by the token's `kid`. Tokens are
// signed by npm jsonwebtoken (which has no EdDSA: the Python tests cover it).
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { test, afterEach } = require('node:test');
const {
  URLS, ISSUER, AUDIENCE, describeInterop, key, mint, nowS, jwt, connect, refused, assertUnauthorized, closeAll,
} = require('./helpers');

/** A compact JWS with any header, signed by HMAC-SHA256 with `secret` (for confusion tokens). */
function hs256WithSecret(header, claims, secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const goodClaims = () => ({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 });

describeInterop('RS256 with --jwt-public-key', () => {
  afterEach(closeAll);

  test('an RS256 token signed with the private key connects; claims as signed', { timeout: 10000 }, async () => {
    const token = mint({ sub: 'rsa-user' }, { key: key('rsa.key.pem'), algorithm: 'RS256' });
    const { inbox } = await connect(URLS.rsa, { auth: { token } });
    const [claims] = await inbox.waitFor('claims');
    assert.deepEqual(claims.args, [jwt.decode(token)]);
  });

  test('PS256 and RS512 with the same RSA key connect (the key allows the RSA family)', { timeout: 10000 }, async () => {
    for (const algorithm of ['PS256', 'RS512']) {
      const token = mint({ sub: algorithm }, { key: key('rsa.key.pem'), algorithm });
      const { inbox } = await connect(URLS.rsa, { auth: { token } });
      const [claims] = await inbox.waitFor('claims');
      assert.equal(claims.args[0].sub, algorithm);
    }
  });

  test('an RS256 token signed with another RSA key: invalid signature', { timeout: 10000 }, async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const token = mint({}, { key: other, algorithm: 'RS256' });
    assertUnauthorized(await refused(URLS.rsa, { auth: { token } }), 'invalid signature', 'invalid_token');
  });

  test('algorithm confusion: HS256 signed with the public key PEM as the secret is refused', { timeout: 10000 }, async () => {
    // The classic attack; npm jsonwebtoken (9) refuses to even sign it, so it is built by hand.
    const pem = key('rsa.pub.pem');
    for (const secret of [pem, pem.trim()]) {
      const token = hs256WithSecret({ alg: 'HS256', typ: 'JWT' }, goodClaims(), secret);
      const err = await refused(URLS.rsa, { auth: { token } });
      assert.equal(err.data.type, 'UnauthorizedError');
      assert.equal(err.data.code, 'invalid_token');
      assert.equal(err.message, err.data.message);
      // No key of this server can verify HS256: `invalid algorithm`, as npm jsonwebtoken says.
      assert.equal(err.message, 'invalid algorithm', JSON.stringify(err.data));
      assert.equal(err.data.reason, 'invalid_algorithm');
    }
  });

  test('an HS256 token with the shared secret is refused by the RS256-only server', { timeout: 10000 }, async () => {
    const err = await refused(URLS.rsa, { auth: { token: mint() } });
    assertUnauthorized(err, 'invalid algorithm', 'invalid_token');
  });

  test('alg: none against the RS256 server is refused', { timeout: 10000 }, async () => {
    const token = jwt.sign(goodClaims(), null, { algorithm: 'none' });
    assertUnauthorized(await refused(URLS.rsa, { auth: { token } }), 'jwt signature is required', 'invalid_token');
  });
});

describeInterop('JWKS (--jwks) with kid selection', () => {
  afterEach(closeAll);

  for (const kid of ['ec-a', 'ec-b']) {
    test(`ES256 with kid ${kid}, signed by that key, connects`, { timeout: 10000 }, async () => {
      const token = mint({ sub: `es-${kid}` }, { key: key(`${kid}.key.pem`), algorithm: 'ES256', keyid: kid });
      const { inbox } = await connect(URLS.jwks, { auth: { token } });
      const [claims] = await inbox.waitFor('claims');
      assert.deepEqual(claims.args, [jwt.decode(token)]);
    });
  }

  test('signed by ec-b but naming kid ec-a: invalid signature (the kid picks the key)', { timeout: 10000 }, async () => {
    const token = mint({}, { key: key('ec-b.key.pem'), algorithm: 'ES256', keyid: 'ec-a' });
    assertUnauthorized(await refused(URLS.jwks, { auth: { token } }), 'invalid signature', 'invalid_token');
  });

  test('a key outside the JWKS under a known kid: invalid signature', { timeout: 10000 }, async () => {
    const token = mint({}, { key: key('other-ec.key.pem'), algorithm: 'ES256', keyid: 'ec-b' });
    assertUnauthorized(await refused(URLS.jwks, { auth: { token } }), 'invalid signature', 'invalid_token');
  });

  test('an unknown kid is refused (no key)', { timeout: 10000 }, async () => {
    const token = mint({}, { key: key('ec-a.key.pem'), algorithm: 'ES256', keyid: 'no-such-kid' });
    const err = await refused(URLS.jwks, { auth: { token } });
    assertUnauthorized(err, 'secret or public key must be provided', 'invalid_token');
    assert.equal(err.data.reason, 'key_not_found');
  });

  test('no kid while two ES256 keys could match: refused (no guessing)', { timeout: 10000 }, async () => {
    const token = mint({}, { key: key('ec-a.key.pem'), algorithm: 'ES256' });
    const err = await refused(URLS.jwks, { auth: { token } });
    assertUnauthorized(err, 'secret or public key must be provided', 'invalid_token');
  });

  test('kid ed-1 (an EdDSA key) with an ES256 token: refused', { timeout: 10000 }, async () => {
    const token = mint({}, { key: key('ec-a.key.pem'), algorithm: 'ES256', keyid: 'ed-1' });
    const err = await refused(URLS.jwks, { auth: { token } });
    assert.equal(err.data.code, 'invalid_token');
    assert.equal(err.data.type, 'UnauthorizedError');
  });

  test('HS256 signed with a JWKS public key (JSON) as the secret, kid ec-a: refused', { timeout: 10000 }, async () => {
    const jwk = JSON.stringify(crypto.createPublicKey(key('ec-a.key.pem')).export({ format: 'jwk' }));
    const token = hs256WithSecret({ alg: 'HS256', kid: 'ec-a' }, goodClaims(), jwk);
    const err = await refused(URLS.jwks, { auth: { token } });
    assert.equal(err.data.code, 'invalid_token');
  });

  test('JWKS claim checks still apply: wrong audience with a good ES256 signature', { timeout: 10000 }, async () => {
    const token = mint({ aud: 'other' }, { key: key('ec-a.key.pem'), algorithm: 'ES256', keyid: 'ec-a' });
    assertUnauthorized(await refused(URLS.jwks, { auth: { token } }), `jwt audience invalid. expected: ${AUDIENCE}`, 'invalid_token');
  });
});
