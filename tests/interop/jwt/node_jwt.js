// npm jsonwebtoken side of the interop checks:
//   node node_jwt.js sign ALG KEYFILE CLAIMS_JSON | verify ALG KEYFILE TOKEN [AUD]
// verify prints the claims, or the error message and exits 1. CLOCK_TOLERANCE=N in the environment
// sets verify's clockTolerance (the leeway).
'use strict';
const fs = require('fs');
const jwt = require('jsonwebtoken');

const [command, alg, keyFile, data, audience] = process.argv.slice(2);
const raw = fs.readFileSync(keyFile);
const key = alg.startsWith('HS') ? raw : raw.toString('utf8');
if (command === 'sign') {
  console.log(jwt.sign(JSON.parse(data), key, { algorithm: alg, noTimestamp: true }));
} else {
  try {
    const options = { algorithms: [alg] };
    if (audience) options.audience = audience;
    if (process.env.CLOCK_TOLERANCE) options.clockTolerance = Number(process.env.CLOCK_TOLERANCE);
    const claims = jwt.verify(data, key, options);
    console.log(JSON.stringify(claims));
  } catch (error) {
    console.log(error.message);
    process.exit(1);
  }
}
