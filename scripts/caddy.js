#!/usr/bin/env node
// `pnpm caddy`: runs Caddy in the foreground with the repo's caddyfile and repo-local storage.
import { ensureCaBundle, startCaddy, ROOT_CA } from '@kit/harness/caddy';

await ensureCaBundle();
console.log(`[caddy] local root CA: ${ROOT_CA} (trusted by the services via NODE_EXTRA_CA_CERTS; import it in a browser to avoid warnings)`);
const caddy = startCaddy();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => caddy.kill(signal));
caddy.on('exit', (code) => process.exit(code ?? 0));
