"""PyJWT side of the interop checks: sign ALG KEYFILE CLAIMS_JSON | verify ALG KEYFILE TOKEN [AUD]."""
import json
import sys
import warnings

import jwt

warnings.simplefilter("ignore")


def main() -> int:
    command, alg, key_file, data = sys.argv[1:5]
    with open(key_file, "rb") as f:
        key = f.read()
    if command == "sign":
        print(jwt.encode(json.loads(data), key, algorithm=alg))
        return 0
    options = {}
    audience = sys.argv[5] if len(sys.argv) > 5 else None
    try:
        claims = jwt.decode(data, key, algorithms=[alg], audience=audience, options=options)
    except jwt.PyJWTError as error:
        print(f"{type(error).__name__}: {error}")
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
