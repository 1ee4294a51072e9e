import type Provider from 'oidc-provider';
import { clientKind } from '../security/client-limits.js';

/** How a client is named to the customer. */
export interface ClientLabel {
  name: string;
  /** Its https home page (`client_uri`), when it names one. */
  homeUri: string | undefined;
  /** Registered over HTTP: its name is its own claim. */
  selfRegistered: boolean;
  /** An AI assistant known by its client ID metadata document: named by the document's host. */
  agent: boolean;
}

const httpsUri = (uri: unknown) => (typeof uri === 'string' && URL.parse(uri)?.protocol === 'https:' ? uri : undefined);

/**
 * Names clients for the customer's pages, once per client per page. Never fetches anything: a
 * client whose id is a URL (a client ID metadata document) is named by its host until its metadata
 * is known otherwise, and a client that cannot be found (deleted, or the lookup fails) by its id.
 */
export class ClientLabels {
  private readonly known = new Map<string, Promise<ClientLabel>>();

  constructor(private readonly provider: Provider) {}

  of(clientId: string): Promise<ClientLabel> {
    let label = this.known.get(clientId);
    if (!label) {
      label = this.lookUp(clientId);
      this.known.set(clientId, label);
    }
    return label;
  }

  private async lookUp(clientId: string): Promise<ClientLabel> {
    const byId: ClientLabel = { name: clientId, homeUri: undefined, selfRegistered: false, agent: false };
    const url = URL.parse(clientId);
    if (url && (url.protocol === 'https:' || url.protocol === 'http:')) return { ...byId, name: url.host, agent: url.protocol === 'https:' };
    const client = await this.provider.Client.find(clientId).catch(() => undefined);
    if (!client) return byId;
    return { ...byId, name: client.clientName ?? clientId, homeUri: httpsUri(client.clientUri), selfRegistered: clientKind(client) === 'registered' };
  }
}
