import path from 'node:path';
import pg from 'pg';
import { adminTokenFileFor } from '../strangler-facade/src/admin/admin-token-file.js';
import { mintAuthToken } from '../legacy-monolith/src/auth/auth-token.js';
import type { StackConfig } from './stack-config.js';

interface AdminRule {
  name: string;
  upstream: string;
  methods?: string[] | null;
  path?: string | null;
  prefix?: string | null;
}

/** Prints where everything listens, where each route goes, and a first request to try. */
export async function printReadyBanner(
  config: StackConfig,
  legacyUrl: string,
  memberUserId: string | null,
  persistence: { dataDir: string | undefined },
): Promise<void> {
  const facade = `http://127.0.0.1:${config.STRANGLER_PORT}`;
  const admin = `http://127.0.0.1:${config.STRANGLER_ADMIN_PORT}`;
  const rules = await fetchRules(admin, config.adminToken);
  const tokenSource =
    config.STRANGLER_ADMIN_TOKEN !== undefined
      ? '$STRANGLER_ADMIN_TOKEN'
      : path.relative(process.cwd(), adminTokenFileFor(config.routesFile));
  const sampleCardId = await newestCardId(legacyUrl);
  // routes.yaml outlives a run: the first move may have been made already.
  const readOne = rules.find((rule) => rule.path === '/cards/:id' && rule.methods?.includes('GET'));
  const readOneMoved = readOne !== undefined && readOne.upstream !== 'legacy';
  const lines = [
    '',
    'strangler example is up',
    `  facade         ${facade}   (admin ${admin}/rules, ${admin}/status)`,
    `  admin token    ${tokenSource} (npx strangler finds it there)`,
    `  legacy         http://127.0.0.1:${config.LEGACY_PORT}`,
    `  cards-service  http://127.0.0.1:${config.CARDS_SERVICE_PORT}`,
    `  search-service http://127.0.0.1:${config.SEARCH_SERVICE_PORT}`,
    '  sync           cards (legacy -> cards), cards-reverse (cards -> legacy), search (cards -> search)',
    `  rules file     ${config.routesFile}`,
    '',
    'routes (first match wins):',
    ...rules.map(
      (rule) => `  ${describeMatch(rule).padEnd(28)} -> ${rule.upstream.padEnd(14)} (${rule.name})`,
    ),
    '',
    'try:',
    `  curl -i ${facade}/cards/${sampleCardId ?? '<card-id>'}`,
    ...(readOneMoved
      ? [`  GET /cards/:id already goes to ${readOne.upstream} (X-Strangler-Upstream says so).`]
      : [
          '  then change the upstream of the GET /cards/:id rule in the rules file to cards-service,',
          '  save, and run the same curl: X-Strangler-Upstream shows where it went.',
        ]),
    ...(memberUserId
      ? [
          '',
          'a write, as a seeded member:',
          `  curl -i -X POST ${facade}/cards -H 'Content-Type: application/json' \\`,
          `    -H 'Authorization: Bearer ${mintAuthToken(memberUserId, config.AUTH_TOKEN_SECRET)}' \\`,
          `    -d '{"title":"Hello","body":"First card through the facade","tags":["hello"]}'`,
        ]
      : []),
    '',
    'the whole migration, step by step (in another terminal):',
    '  npx strangler walkthrough',
    '',
    ...(persistence.dataDir
      ? [
          `data is kept between runs (${persistence.dataDir}), with routes.yaml and the`,
          "walkthrough's progress; to start all three over: npm run reset (or npm start -- --fresh)",
          '',
        ]
      : []),
    'Ctrl-C stops everything.',
  ];
  console.log(lines.join('\n'));
}

async function fetchRules(adminUrl: string, token: string): Promise<AdminRule[]> {
  const response = await fetch(`${adminUrl}/rules`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { rules?: AdminRule[] };
  return body.rules ?? [];
}

function describeMatch(rule: AdminRule): string {
  const methods = rule.methods?.length ? rule.methods.join(',') : 'ANY';
  const target = rule.path ?? (rule.prefix ? `${rule.prefix}/**` : '/**');
  return `${methods} ${target}`;
}

async function newestCardId(legacyUrl: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: legacyUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      "SELECT id FROM cards WHERE status = 'published' ORDER BY created_at DESC, id DESC LIMIT 1",
    );
    return rows[0]?.id;
  } finally {
    await client.end();
  }
}
