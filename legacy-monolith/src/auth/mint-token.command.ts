import { mintAuthToken } from './auth-token.js';

/** `node dist/legacy-monolith/src/auth/mint-token.command.js <userId>` prints a bearer token. */
const userId = process.argv[2];
if (!userId) {
  console.error('usage: mint-token.command.js <userId>   (AUTH_TOKEN_SECRET optional)');
  process.exit(1);
}
console.log(mintAuthToken(userId));
