/**
 * The identity port: how the OP signs a person in and who a customer is. The interaction routes
 * and `findAccount` see only this interface; `local/` (passwords in our own store) and
 * `upstream/` (the bank's OpenID Connect IdP) implement it. A customer's id is the `sub` of every
 * token and the customer id of the FDX API.
 */

/** `locked`: too many failed passwords in the lockout window (temporary); `blocked`: by an operator. */
export type CustomerStatus = 'active' | 'blocked' | 'locked';

/** The profile claims the OP releases (scopes `profile` and `email`). */
export interface CustomerClaims {
  name?: string;
  email?: string;
  email_verified?: boolean;
}

export interface Customer {
  id: string;
  status: CustomerStatus;
  claims: CustomerClaims;
}

/** The person types an email and password on the OP's own login page. */
export interface PasswordLogin {
  kind: 'password';
  /** The customer whose credentials these are (whatever their status), or undefined; constant-time for unknown emails. */
  authenticate(email: string, password: string): Promise<Customer | undefined>;
}

/** The person is sent to another site (the bank's IdP) and comes back to the OP. */
export interface RedirectLogin {
  kind: 'redirect';
  /** Where to send the browser to sign in for this interaction; throws UpstreamLoginError. */
  start(interactionUid: string): Promise<URL>;
  /**
   * The customer the returning browser signed in as. `query` is what came back to the callback;
   * the pending login of this interaction is used up whatever the outcome. Throws UpstreamLoginError.
   */
  finish(interactionUid: string, query: URLSearchParams): Promise<Customer>;
  /** The interaction a callback's `state` belongs to, so the browser can be sent back into it. */
  interactionOf(state: string): Promise<string | undefined>;
}

export interface CustomerDirectory {
  readonly login: PasswordLogin | RedirectLogin;
  /**
   * The customer with this id, or undefined when there is none (never created, or deleted).
   * `lockout: false` skips the lockout check (status is then never `locked`): token grants ask so,
   * since a lockout stops password guessing, not the customer's apps, and costs a query per refresh.
   */
  find(id: string, options?: { lockout?: boolean }): Promise<Customer | undefined>;
}

/** Whether a customer may hold a session and tokens: blocked and unknown customers may not. */
export function mayHoldTokens(customer: Customer | undefined): customer is Customer {
  return customer !== undefined && customer.status !== 'blocked';
}
