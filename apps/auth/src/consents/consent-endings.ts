import type { AuditLog } from '../audit/audit.js';
import type { Consent, ConsentStore, Ending } from './consent-store.js';

/**
 * Every way a consent ends goes through here: the store ends it (feed change, grant and tokens
 * destroyed) and the audit says who ended it and why (`consent.ended`, or `consent.expired`).
 */
export class ConsentEndings {
  constructor(
    readonly store: ConsentStore,
    private readonly audit: AuditLog,
  ) {}

  /** Ends one consent; returns it (as it now is) and whether this call ended it. Undefined: unknown id. */
  async end(id: string, ending: Ending, ip?: string): Promise<{ consent: Consent; changed: boolean } | undefined> {
    const result = await this.store.end(id, ending);
    if (result?.changed) this.record(result.consent, ip);
    return result;
  }

  /** Ends the active consent of a grant that went another way (token revocation, reuse, logout). */
  async endByGrant(grantId: string, ending: Ending, ip?: string): Promise<Consent | undefined> {
    const consent = await this.store.endByGrant(grantId, ending);
    if (consent) this.record(consent, ip);
    return consent;
  }

  /** Ends every active consent of a customer (blocked, deleted); returns those it ended. */
  async endForCustomer(customerId: string, ending: Ending): Promise<Consent[]> {
    const ended: Consent[] = [];
    for (const consent of await this.store.activeForCustomer(customerId)) {
      const result = await this.end(consent.id, ending);
      if (result?.changed) ended.push(result.consent);
    }
    return ended;
  }

  /** Ends every active consent of a client (the client is deleted); returns those it ended. */
  async endForClient(clientId: string, ending: Ending): Promise<Consent[]> {
    const ended: Consent[] = [];
    for (const consent of await this.store.list({ client: clientId, active: true })) {
      const result = await this.end(consent.id, ending);
      if (result?.changed) ended.push(result.consent);
    }
    return ended;
  }

  /** Marks the consents past their expiry EXPIRED (the sweeper). */
  async expireDue(): Promise<Consent[]> {
    const expired = await this.store.expireDue();
    for (const consent of expired) this.record(consent);
    return expired;
  }

  /** Waits until the audit events recorded so far are written (the CLI, before it exits). */
  flush(): Promise<void> {
    return this.audit.flush();
  }

  private record(consent: Consent, ip?: string): void {
    void this.audit.record({
      type: consent.status === 'EXPIRED' ? 'consent.expired' : 'consent.ended',
      actor: consent.customerId,
      clientId: consent.clientId,
      ip,
      detail: {
        consentId: consent.id,
        grantId: consent.grantId,
        status: consent.status,
        by: consent.endedBy,
        reason: consent.endReason,
        initiator: consent.initiator,
      },
    });
  }
}
